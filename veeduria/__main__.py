"""`python -m veeduria` runs the command line."""

from veeduria.cli import main

main()
