"""Write veeduria/extract/world/actors.csv: the PRC's state-linked actors and other known
parties, as names only, for the extractor's gazetteer (Gazetteer(world=True)).

    VEEDURIA_SHARED=/work/shared .venv/bin/python scripts/build_world_gazetteer.py

Reads, at build time only: veeduria/extract/world/curated.yaml (hand-kept: English names,
abbreviations, parents, state owners) and the reference data in $VEEDURIA_SHARED/refdata:
the SASAC/MOF central enterprise list, the three CGIT editions ("Chinese Entity"/"Investor"
and "Transaction Party" columns), AidData GCDF 2.0 agencies and GCOF 1.1.1 funders, the US
lists (DoD 1260H, FCC covered list, NDAA sections 889/1286/5949/154) and the PRC's counter-
sanctions list (companies and organisations only). Names are normalised, merged by a folded
key (legal forms dropped: "China Communications Construction" = "... Company"), generic or
ambiguous ones dropped (common words, "Unspecified ...", very short names). Only the derived
names and their citations are written: no figures, no rows of the datasets.

Needs `wordfreq` (build time only: `.venv/bin/pip install wordfreq`) to recognise common words."""

from __future__ import annotations

import csv
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veeduria.extract.states import states  # noqa: E402
from veeduria.text import slugify  # noqa: E402

WORLD = ROOT / "veeduria" / "extract" / "world"
REF = Path(os.environ.get("VEEDURIA_SHARED", ROOT.parent / "shared")) / "refdata"

LEGAL = {"co", "ltd", "limited", "corp", "corporation", "company", "inc", "group", "holdings",
         "holding", "sa", "sarl", "plc", "llc", "gmbh", "cia", "sac", "saa", "srl", "bv", "ag",
         "the", "pvt", "jsc", "ojsc", "pte"}
# A source name made only of these says nothing about which body it is.
GENERIC = {"unspecified", "unknown", "various", "government", "ministry", "embassy",
           "consortium", "others", "other", "undisclosed", "local", "partners", "partner",
           "chinese", "china", "state", "national", "company", "bank", "group", "n/a", "na"}
# Names of a kind of body, not of one: which embassy, which of hundreds of institutes?
AMBIGUOUS = {"confucius institute", "chinese embassy", "chinese embassy consulate",
             "chinese embassy and consulate", "embassy of china", "chinese consulate",
             "confucius classroom"}
CGIT_SECTOR = {
    "Energy/Oil": "petroleum", "Energy/Gas": "petroleum", "Energy/Coal": "mining",
    "Energy/Hydro": "power_generation", "Energy/Alternative": "renewables",
    "Energy/": "power_generation", "Metals/": "mining", "Transport/Autos": "automotive",
    "Transport/Rail": "rail", "Transport/Shipping": "maritime", "Transport/Aviation": "logistics",
    "Real estate/Construction": "construction", "Real estate/Property": "construction",
    "Utilities/": "power_distribution", "Technology/Telecom": "telecom",
    "Technology/": "digital_infrastructure", "Logistics/": "logistics", "Finance/": "finance",
    "Health/": "health", "Agriculture/": "agriculture", "Entertainment/": "media",
    "Other/Education": "education",
}
COUNTRY_EXTRA = {"usa": "us", "britain": "gb", "uk": "gb", "russian federation": "ru",
                 "laos": "la", "iran": "ir", "vietnam": "vn", "bosnia": "ba", "syria": "sy",
                 "trinidad-tobago": "tt", "drc": "cd", "congo": "cg", "brunei": "bn",
                 "kyrgyzstan": "kg", "czech republic": "cz", "uae": "ae", "korea": "kr",
                 "south korea": "kr", "north korea": "kp", "sao tome": "st", "micronesia": "fm",
                 "republic of congo": "cg", "democratic republic of congo": "cd",
                 "democratic republic of the congo": "cd", "cote d'ivoire": "ci",
                 "bahamas": "bs", "gambia": "gm", "timor-leste": "tl", "cabo verde": "cv",
                 "north macedonia": "mk", "macedonia": "mk", "turkey": "tr", "taiwan": "tw"}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def key(name: str) -> str:
    """Merge key: folded, punctuation and legal forms dropped."""
    words = re.sub(r"[^\w]+", " ", fold(name).replace("&", " and ")).split()
    while words and words[-1] in LEGAL:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def clean(name: str) -> str:
    name = " ".join(name.replace("\u00a0", " ").split()).strip(" ,;*")
    name = re.sub(r"^(?:and|y|&)\s+", "", name)  # the last of a list: "A, B, and CITIC"
    return name.replace("’", "'")


def split_abbrev(name: str) -> tuple[str, str | None]:
    """ "China Road & Bridge Corporation (CRBC)" -> the name and its abbreviation."""
    m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)\s*", name)
    if not m:
        return name, None
    inner = m.group(2).strip()
    if re.search(r"[\u4e00-\u9fff]", inner):  # "China Railway 19th Bureau (中铁十九局...)"
        return m.group(1).strip(), inner
    if re.fullmatch(r"[A-Z][A-Za-z0-9&\-]{1,9}", inner) and sum(c.isupper() for c in inner) >= 2:
        return m.group(1).strip(), inner
    return name, None


def split_list(cell: str, seps: str = r",\s+(?![^()]*\))") -> list[str]:
    """Several investors in one cell, split on commas outside parentheses, but never inside a
    legal form ("Co., Ltd.")."""
    parts = re.split(seps, cell)
    out: list[str] = []
    for part in parts:
        if out and re.fullmatch(r"(?i)(ltd|limited|inc|llc|s\.?a\.?|co|corp)\.?", part.strip()):
            out[-1] += ", " + part
        else:
            out.append(part)
    return [clean(p) for p in out if clean(p)]


@dataclass
class Actor:
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    schema: str = "Company"
    country: str | None = "cn"
    sector: str | None = None
    parent: str | None = None
    owner: str | None = None
    linkage: str | None = None
    sources: list[str] = field(default_factory=list)
    curated: bool = False

    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class Builder:
    def __init__(self) -> None:
        from wordfreq import zipf_frequency

        self.zipf = zipf_frequency
        self.actors: dict[str, Actor] = {}
        self.by_key: dict[str, str] = {}
        self.states = states()
        self.state_keys = {key(s) for s in self.states.by_surface} | \
            {key(s) for s in self.states.government} | set(self.states.demonyms)
        self.country_of: dict[str, str] = {fold(s): c for s, c in self.states.by_surface.items()}
        self.country_of.update(COUNTRY_EXTRA)
        self.dropped: Counter[str] = Counter()

    # -- names ----------------------------------------------------------------------------
    def common(self, word: str) -> float:
        return max(self.zipf(word, "en"), self.zipf(word, "es"))

    def acceptable(self, name: str) -> bool:
        """Whether a source name is specific enough to look for in text."""
        k = key(name)
        words = k.split()
        letters = sum(c.isalpha() for c in name)
        if not words or letters < 3 or len(name) > 90 or "|" in name:
            return False
        if k in self.state_keys or k in AMBIGUOUS \
                or re.match(r"(?i)(government|gobierno) (of|de)\b", name):
            return False
        if all(w in GENERIC or w in {"of", "the", "and", "de", "del", "la", "y"} for w in words):
            return False
        if len(words) == 1:
            if name.isupper() and len(name) <= 5:
                return False  # an abbreviation no curated entry vouches for: ambiguous
            return self.common(words[0]) < 3.0  # "Legend", "Vale", "Total" are words
        return not all(self.common(w) >= 4.5 for w in words)  # "National Bank", "Power Company"

    def abbrev_ok(self, alias: str) -> bool:
        """A source's abbreviation worth matching: "KHCL", "CAAN"; not "ABC", "LBS", "JSC"
        (three letters name too many things) nor a word ("SAFE" stays a curated alias)."""
        return len(alias) >= 4 and self.common(alias.lower()) < 3.0

    def add_name(self, actor: Actor, name: str) -> None:
        name = clean(name)
        if not name or name == actor.name or name in actor.aliases:
            return
        k = key(name)
        if not k or (len(k) < 3 and not name.isupper()):
            return  # "Ltd.", "JSC": a legal form, not a name
        owner = self.by_key.get(k)
        if owner is not None and owner != actor.id:
            return  # another entity already answers to this name
        self.by_key[k] = actor.id
        actor.aliases.append(name)

    def new_actor(self, actor: Actor) -> Actor:
        base = actor.id
        n = 2
        while actor.id in self.actors:
            actor.id = f"{base}-{n}"
            n += 1
        self.actors[actor.id] = actor
        self.by_key.setdefault(key(actor.name), actor.id)
        return actor

    def cite(self, actor: Actor, source: str) -> None:
        if source not in actor.sources:
            actor.sources.append(source)

    def take(self, raw: str, source: str, *, country: str | None = "cn",
             sector: str | None = None, schema: str = "Company", parent: str | None = None,
             alias: str | None = None) -> Actor | None:
        """One name from a source: merged into the entity answering to it, or a new entity
        when it is specific enough."""
        name, abbrev = split_abbrev(clean(raw))
        if alias is None:
            alias = abbrev
        if alias is not None and not key(alias):
            alias = None  # "(JSC)", "(Pvt)": a legal form
        if re.search(r"(?i)consortium|-led\b|-based\b|\bled by\b|unspecified", name):
            self.dropped[source] += 1
            return None
        if not key(name):
            return None
        found = self.by_key.get(key(name)) or (self.by_key.get(key(alias)) if alias else None)
        if found is None and alias and abbrev is None:
            found = self.by_key.get(key(alias))
        if found is not None:
            actor = self.actors[found]
            self.add_name(actor, name)
            if alias and self.abbrev_ok(alias) and self.by_key.get(key(alias), actor.id) == actor.id:
                self.add_name(actor, alias)
            self.cite(actor, source)
            return actor
        if not self.acceptable(name):
            self.dropped[source] += 1
            return None
        actor = self.new_actor(Actor(id=slugify(name)[:60], name=name, schema=schema,
                                     country=country, sector=sector, parent=parent))
        if alias and self.abbrev_ok(alias) and key(alias) not in self.by_key:
            self.add_name(actor, alias)
        self.cite(actor, source)
        return actor

    def split_joint(self, names: list[str]) -> list[str]:
        """ "Minmetals and Xinxing Iron", "CEFC/Norinco": two investors when one side is a name
        already known (keeps "China Road and Bridge")."""
        out = []
        for name in names:
            parts = re.split(r"\s+and\s+|\s*/\s*", name)
            if len(parts) > 1 and any(key(p) in self.by_key for p in parts):
                out += [p for p in parts if p]
            else:
                out.append(name)
        return out

    def country(self, name: str) -> str | None:
        return self.country_of.get(fold(clean(name)))

    # -- sources ----------------------------------------------------------------------------
    def curated(self) -> None:
        sasac = {}
        with open(REF / "sasac_central_soe_list" / "sasac_mof_central_soe_list.csv",
                  encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                sasac[row["name_zh"]] = row["list_section"]
        rows = yaml.safe_load((WORLD / "curated.yaml").read_text(encoding="utf-8"))
        for row in rows:
            actor = Actor(id=row["id"], name=row["name"], schema=row.get("schema", "Company"),
                          country=row.get("country", "cn"), sector=row.get("sector"),
                          parent=row.get("parent"), owner=row.get("owner"),
                          linkage=row.get("linkage"), curated=True, sources=["curated"])
            if actor.id in self.actors:
                raise SystemExit(f"curated.yaml: duplicate id {actor.id}")
            self.actors[actor.id] = actor
            self.by_key[key(actor.name)] = actor.id
            zh = row.get("zh")
            if zh:
                section = sasac.get(zh)
                if section is None:
                    raise SystemExit(f"curated.yaml: {zh} is not in the SASAC/MOF list")
                actor.sources.append("sasac_central_soe_list")
                if "国资委" in section:
                    actor.owner = actor.owner or "SASAC"
                elif "财政部" in section:
                    actor.owner = actor.owner or "MOF"
                actor.linkage = actor.linkage or "central_soe"
                self.add_name(actor, zh.split("[")[0])
            for alias in row.get("aliases") or []:
                self.add_name(actor, str(alias))
            if actor.schema == "PublicBody" and not actor.linkage:
                actor.linkage = "state_organ"
        for actor in self.actors.values():
            if actor.parent and actor.parent not in self.actors:
                raise SystemExit(f"curated.yaml: {actor.id} has unknown parent {actor.parent}")

    def cgit(self) -> None:
        editions = [("cgit_bluesky_2019fall", "cgit_combined_df.csv", "Chinese Entity"),
                    ("cgit_gbwalker_2018", "china_investments.csv", "Chinese Entity"),
                    ("cgit_thomjh_south_america", "Sino_Invest_SAmerica.csv", "Investor")]
        for folder, file, col in editions:
            with open(REF / folder / file, encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
            sectors: dict[str, Counter[str]] = defaultdict(Counter)
            for row in rows:
                sector = CGIT_SECTOR.get(f"{row.get('Sector', '')}/{row.get('Subsector', '')}") \
                    or CGIT_SECTOR.get(f"{row.get('Sector', '')}/")
                for name in split_list(row[col]):
                    if sector:
                        sectors[name][sector] += 1
            for row in rows:
                for name in self.split_joint(split_list(row[col])):
                    common = sectors[name].most_common(1)
                    actor = self.take(name, f"{folder}:{col}",
                                      sector=common[0][0] if common else None)
                    if actor is not None and actor.sector is None and common:
                        actor.sector = common[0][0]
                party = clean(row.get("Transaction Party", ""))
                if party and not re.search(r"(?i)unspecified|unknown|government", party):
                    country = self.country(row.get("Country", ""))
                    sector = CGIT_SECTOR.get(f"{row.get('Sector', '')}/{row.get('Subsector', '')}") \
                        or CGIT_SECTOR.get(f"{row.get('Sector', '')}/")
                    for name in split_list(party):
                        self.take(name, f"{folder}:Transaction Party", country=country,
                                  sector=sector)

    def aiddata(self) -> None:
        src = "aiddata_gcdf2_geo_huawei_military"
        with open(REF / src / "final_df.csv", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        funders = set()
        for row in rows:
            for name in row["Funding Agencies"].split("|"):
                if clean(name):
                    funders.add(clean(name))
                    self.take(name, f"{src}:Funding Agencies",
                              schema="PublicBody" if "Ministry" in name else "Company")
        receivers = {clean(n) for row in rows for n in row["Receiving Agencies"].split("|")}
        for row in rows:
            host = self.country(row["Recipient"])
            for name in row["Receiving Agencies"].split("|"):
                if clean(name):
                    self.take(name, f"{src}:Receiving Agencies", country=host,
                              schema=self.guess_schema(name))
            for name in row["Implementing Agencies"].split("|"):
                name = clean(name)
                if not name:
                    continue
                # Implementers are Chinese contractors or host bodies; the country is only
                # set where the name or another column settles it.
                if self.looks_chinese(name) or name in funders:
                    country = "cn"
                elif name in receivers:
                    country = host
                else:
                    country = None
                self.take(name, f"{src}:Implementing Agencies", country=country,
                          schema=self.guess_schema(name))
        src = "aiddata_gcof_v1.1.1_gbwalker"
        with open(REF / src / "aiddf.csv", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                for part in row["funder"].split(";"):
                    name = part.rsplit(",", 1)[0] if "," in part else part
                    if clean(name):
                        self.take(name, f"{src}:funder",
                                  schema="PublicBody" if "Government Agency" in part else "Company")

    CHINESE = re.compile(r"\b(China|Chinese|Sino|Beijing|Shanghai|Guangdong|Jiangsu|Zhejiang|"
                         r"Shandong|Henan|Hubei|Hunan|Sichuan|Yunnan|Fujian|Anhui|Jiangxi|Hebei|"
                         r"Shaanxi|Shanxi|Liaoning|Jilin|Heilongjiang|Guangxi|Xinjiang|Chongqing|"
                         r"Tianjin|Shenzhen|Ningxia|Gansu|Qinghai|Hainan|Guizhou|Inner Mongolia|"
                         r"Weihai|Huawei|ZTE|Harbin|Wuhan|Nanjing|Qingdao|Dalian|Xiamen|Hangzhou)\b")

    def looks_chinese(self, name: str) -> bool:
        return bool(self.CHINESE.search(name))

    @staticmethod
    def guess_schema(name: str) -> str:
        if re.search(r"(?i)\b(ministry|ministerio|minist[eè]re|department|authority|agency|"
                     r"council|commission|office|municipal|province|provincial|county|"
                     r"government|gobierno|parliament|assembly|police|army|armed forces)\b", name):
            return "PublicBody"
        if re.search(r"(?i)\b(university|universidad|universitas|université|hospital|school|institute|college|"
                     r"foundation|association|red cross)\b", name):
            return "Organization"
        return "Company"

    def us_lists(self) -> None:
        src = "us_dod_1260h_opensanctions"
        with open(REF / src / "sanctions.csv", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:  # parents first, so subsidiaries can point to them
            if not row["Parent Name"]:
                self.take(row["Clean Name"], f"{src}:1260H", alias=row["Alias"] or None)
        for row in rows:
            if row["Parent Name"]:
                parent = self.by_key.get(key(split_abbrev(clean(row["Parent Name"]))[0]))
                actor = self.take(row["Clean Name"], f"{src}:1260H", alias=row["Alias"] or None,
                                  parent=parent)
                if actor is not None and actor.parent is None and parent != actor.id:
                    actor.parent = parent
        src = "us_other_china_lists_opensanctions"
        for section in ("889", "5949", "154", "1286"):
            with open(REF / src / f"special_leg__section_{section}.csv", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if section == "1286" and row["country"] != "China" \
                            and not self.looks_chinese(row["name"]):
                        continue
                    alias = (row["aliases"] or "").split(";")[0].strip() or None
                    self.take(row["name"], f"{src}:section {section}", alias=alias,
                              schema=self.guess_schema(row["name"]))
        with open(REF / src / "fcc_covered_list__table.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for m in re.finditer(r"(?:produced|provided) by ([A-Z][\w.&() -]+?)"
                                     r"(?:,| and its| including|\.$| \(“)",
                                     row["covered_equipment_or_services"]):
                    self.take(m.group(1), f"{src}:FCC covered list")

    def counter_sanctions(self) -> None:
        src = "cn_mofcom_sanctions_opensanctions"
        with open(REF / src / "sanctions.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["Type"] not in ("Company", "Organization"):
                    continue
                raw = (row["Country"] or "").strip()
                country = raw.lower() if re.fullmatch(r"[A-Z]{2}", raw) else self.country(raw)
                actor = self.take(row["Name"], f"{src}:{row['Body'] or 'PRC'} counter-sanctions",
                                  country=country, schema=row["Type"],
                                  alias=(row["Alias"] or "").split(";")[0].strip() or None)
                if actor is not None and row["Chinese name"]:
                    self.add_name(actor, row["Chinese name"])

    # -- output -----------------------------------------------------------------------------
    def finish(self) -> list[Actor]:
        for actor in self.actors.values():
            # A subsidiary of a state-linked parent takes the parent's owner and linkage.
            chain, node = [], actor
            while node.parent and node.parent in self.actors and len(chain) < 10:
                node = self.actors[node.parent]
                chain.append(node)
            for up in chain:
                actor.owner = actor.owner or up.owner
                actor.linkage = actor.linkage or up.linkage
            actor.aliases = [a for a in actor.aliases if a != actor.name]
            if actor.country and actor.country not in self.states.display:
                actor.country = None  # a region or a typo in the source, not a state
        return sorted(self.actors.values(), key=lambda a: (not a.curated, a.id))


def main() -> None:
    if not REF.is_dir():
        raise SystemExit(f"no reference data at {REF}; set $VEEDURIA_SHARED")
    b = Builder()
    b.curated()
    b.cgit()
    b.aiddata()
    b.us_lists()
    b.counter_sanctions()
    actors = b.finish()
    out = WORLD / "actors.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "aliases", "schema", "country", "sector", "parent",
                    "state_owner", "linkage", "source"])
        for a in actors:
            w.writerow([a.id, a.name, " | ".join(a.aliases), a.schema, a.country or "",
                        a.sector or "", a.parent or "", a.owner or "", a.linkage or "",
                        "; ".join(a.sources)])
    names = sum(1 + len(a.aliases) for a in actors)
    print(f"{out.relative_to(ROOT)}: {len(actors)} entities, {names} names "
          f"({sum(a.curated for a in actors)} curated); dropped as generic: {dict(b.dropped)}")


if __name__ == "__main__":
    main()
