"""Generate ``examples/data/contacts.csv``: 5,000 realistic contacts for ``hubcrm import``.

Deterministic (fixed seed): running it again rewrites the same file. A handful of rows
are deliberately invalid, to show the errors report:

- row 250: an email without a domain (``INVALID_EMAIL``);
- row 1000: a date of birth that is not at midnight (``INVALID_DATE``);
- row 1750: a lifecycle stage that is not an option (``INVALID_OPTION``);
- row 2500: the same email as row 10 (a 409 ``CONFLICT``);
- row 4000: a non-numeric lead score (``INVALID_INTEGER``).

Rows are numbered as ``hubcrm import`` numbers them: data rows from 1, the header excluded.

Usage: ``python examples/data/make_contacts.py [OUTPUT]``.
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROWS = 5000
SEED = 20240601
COLUMNS = [
    "email",
    "firstname",
    "lastname",
    "phone",
    "company",
    "jobtitle",
    "city",
    "country",
    "lifecyclestage",
    "hs_lead_score",
    "date_of_birth",
    "hs_email_optout",
]
FIRST = """Ada Grace Alan Edsger Barbara Donald Margaret Ken Dennis Frances Radia Linus Guido
Katherine Tim Hedy Sophie Niklaus John Annie Carlos Mei Aisha Ravi Olga Pierre Ines Kofi
Yuki Lars Fatima Diego Chloe Mateo Priya Noah Zara Ivan Lena Omar""".split()  # noqa: SIM905
LAST = """Lovelace Hopper Turing Dijkstra Liskov Knuth Hamilton Thompson Ritchie Allen Perlman
Torvalds Rossum Johnson Berners-Lee Lamarr Wilson Wirth Backus Easley Garcia Chen Khan Patel
Ivanova Dubois Silva Mensah Tanaka Nilsson Haddad Romero Martin Rossi Sharma Muller Ahmed
Novak Weber Costa""".split()  # noqa: SIM905
COMPANIES = """Analytical Engines|Compiler Works|Bletchley Labs|Semaphore Systems|Apollo Guidance
|Bell Telephone|Mosaic Networks|Frequency Hopping Inc|Pascal & Modula|Fortran Foundry
|Northwind Traders|Contoso|Initech|Globex|Umbrella Analytics""".replace("\n", "").split("|")
TITLES = ["Engineer", "Sales Manager", "CTO", "Founder", "Analyst", "Marketing Lead", "", ""]
CITIES = [
    ("London", "United Kingdom"),
    ("Paris", "France"),
    ("Berlin", "Germany"),
    ("Boston", "United States"),
    ("Austin", "United States"),
    ("Toronto", "Canada"),
    ("Lagos", "Nigeria"),
    ("Bangalore", "India"),
    ("Tokyo", "Japan"),
    ("São Paulo", "Brazil"),
]
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "customer"]


def rows(rng: random.Random) -> list[dict[str, str]]:
    """The rows, valid except for the few documented in the module docstring."""
    result = []
    for n in range(1, ROWS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country = rng.choice(CITIES)
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        result.append(
            {
                "email": f"{first}.{last}.{n}@example.com".lower(),
                "firstname": first,
                "lastname": last,
                "phone": f"+1 555 {rng.randrange(1000):03d} {rng.randrange(10000):04d}"
                if rng.random() < 0.7
                else "",
                "company": rng.choice(COMPANIES),
                "jobtitle": rng.choice(TITLES),
                "city": city,
                "country": country,
                "lifecyclestage": rng.choice(STAGES),
                "hs_lead_score": str(rng.randrange(101)) if rng.random() < 0.8 else "",
                "date_of_birth": born.isoformat() if rng.random() < 0.5 else "",
                "hs_email_optout": rng.choice(["true", "false", ""]),
            }
        )
    result[250 - 1]["email"] = "not-an-email"
    result[1000 - 1]["date_of_birth"] = "1984-07-02T18:30:00Z"
    result[1750 - 1]["lifecyclestage"] = "champion"
    result[2500 - 1]["email"] = result[10 - 1]["email"]
    result[4000 - 1]["hs_lead_score"] = "high"
    return result


def main(argv: list[str]) -> None:
    """Write the CSV to ``argv[0]`` or next to this script."""
    output = Path(argv[0]) if argv else Path(__file__).with_name("contacts.csv")
    with output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(random.Random(SEED)))
    print(f"wrote {ROWS} rows to {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
