"""Curated cases: a host country watched for one foreign state's footprint, as YAML data."""

from pathlib import Path

CASES_DIR = Path(__file__).parent


def available_cases() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.yaml").is_file())


def case_dir(case: str) -> Path:
    """A case id (packaged) or a path to a case folder."""
    path = Path(case)
    if (path / "case.yaml").is_file():
        return path
    packaged = CASES_DIR / case
    if (packaged / "case.yaml").is_file():
        return packaged
    raise FileNotFoundError(
        f"no case {case!r}: not a folder with case.yaml, and not one of {', '.join(available_cases()) or 'none'}"
    )
