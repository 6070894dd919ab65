"""Country code crosswalk: Eurostat geo codes, ISO 3166 codes, IMF codes and source names.

The project keys countries by **Eurostat geo codes** (``EL`` for Greece, ``UK`` for
the United Kingdom; ISO 3166 uses ``GR`` and ``GB``). The governance sources use other
keys: ISO-3 (RAI, LAI, with quirks such as ``ROM`` for Romania), IMF numeric country
codes (Fiscal Decentralization Dataset), the Comparative Welfare States' own three-letter
ids (``FRG`` for Germany, ``UKM``), and country names spelt in several ways.

:data:`COUNTRIES` lists the European scope of the governance layer: EU-27, the United
Kingdom, the EFTA states (IS, LI, NO, CH) and the candidate and neighbouring countries
that the sources cover (AL, BA, ME, MK, RS, TR, XK, MD, UA, GE). A code outside that
scope that is still a valid country code (checked with :mod:`pycountry`, including
historic states such as Serbia and Montenegro) is *outside the scope*; a code that is
neither raises :class:`~localise.errors.InputError` naming the file, column and code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import pycountry

from localise.errors import InputError

__all__ = ["COUNTRIES", "EU27", "CORE_SCOPE", "CountryMatch", "country_table", "match_countries", "normalise_name"]

# eurostat, iso2, iso3, IMF numeric code (None: not an IMF member or not in the IMF lists used here),
# CWS id (None: not in the Comparative Welfare States data), English name, other spellings met in sources.
_ROWS: list[tuple[str, str, str, int | None, str | None, str, tuple[str, ...]]] = [
    ("AT", "AT", "AUT", 122, "AUS", "Austria", ()),
    ("BE", "BE", "BEL", 124, "BEL", "Belgium", ()),
    ("BG", "BG", "BGR", 918, None, "Bulgaria", ()),
    ("HR", "HR", "HRV", 960, None, "Croatia", ()),
    ("CY", "CY", "CYP", 423, None, "Cyprus", ()),
    ("CZ", "CZ", "CZE", 935, None, "Czechia", ("Czech Republic",)),
    ("DK", "DK", "DNK", 128, "DEN", "Denmark", ()),
    ("EE", "EE", "EST", 939, None, "Estonia", ()),
    ("FI", "FI", "FIN", 172, "FIN", "Finland", ()),
    ("FR", "FR", "FRA", 132, "FRA", "France", ()),
    ("DE", "DE", "DEU", 134, "FRG", "Germany", ("West-Germany", "Germany, Federal Republic of")),
    ("EL", "GR", "GRC", 174, "GRE", "Greece", ()),
    ("HU", "HU", "HUN", 944, None, "Hungary", ()),
    ("IE", "IE", "IRL", 178, "IRE", "Ireland", ()),
    ("IT", "IT", "ITA", 136, "ITA", "Italy", ()),
    ("LV", "LV", "LVA", 941, None, "Latvia", ()),
    ("LT", "LT", "LTU", 946, None, "Lithuania", ()),
    ("LU", "LU", "LUX", 137, "LUX", "Luxembourg", ()),
    ("MT", "MT", "MLT", 181, None, "Malta", ()),
    ("NL", "NL", "NLD", 138, "NET", "Netherlands", ("The Netherlands",)),
    ("PL", "PL", "POL", 964, None, "Poland", ()),
    ("PT", "PT", "PRT", 182, "POR", "Portugal", ()),
    ("RO", "RO", "ROU", 968, None, "Romania", ()),
    ("SK", "SK", "SVK", 936, None, "Slovakia", ("Slovak Republic",)),
    ("SI", "SI", "SVN", 961, None, "Slovenia", ()),
    ("ES", "ES", "ESP", 184, "SPA", "Spain", ()),
    ("SE", "SE", "SWE", 144, "SWE", "Sweden", ()),
    ("UK", "GB", "GBR", 112, "UKM", "United Kingdom", ()),
    ("IS", "IS", "ISL", 176, None, "Iceland", ()),
    ("LI", "LI", "LIE", None, None, "Liechtenstein", ()),
    ("NO", "NO", "NOR", 142, "NOR", "Norway", ()),
    ("CH", "CH", "CHE", 146, "SWZ", "Switzerland", ()),
    ("AL", "AL", "ALB", 914, None, "Albania", ()),
    ("BA", "BA", "BIH", 963, None, "Bosnia and Herzegovina", ()),
    ("ME", "ME", "MNE", 943, None, "Montenegro", ()),
    ("MK", "MK", "MKD", 962, None, "North Macedonia", ("Macedonia", "Macedonia, FYR", "North-Macedonia")),
    ("RS", "RS", "SRB", 942, None, "Serbia", ("Serbia, Republic of",)),
    ("TR", "TR", "TUR", 186, None, "Turkey", ("Türkiye",)),
    ("XK", "XK", "XKX", 967, None, "Kosovo", ()),
    ("MD", "MD", "MDA", 921, None, "Moldova", ()),
    ("UA", "UA", "UKR", 926, None, "Ukraine", ()),
    ("GE", "GE", "GEO", 915, None, "Georgia", ()),
]

#: EU member states (since 2020), Eurostat codes.
EU27 = (
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "EL",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
)
#: The countries every country-level governance source must cover when it covers them at all.
CORE_SCOPE = EU27 + ("UK", "NO", "CH")


def normalise_name(name: str) -> str:
    """Case-folded country name without accents, punctuation or extra blanks (for matching)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = "".join(ch if ch.isalnum() else " " for ch in text.casefold())
    return " ".join(text.split())


def country_table() -> pd.DataFrame:
    """The crosswalk as a frame.

    Returns
    -------
    DataFrame
        Columns ``country`` (Eurostat geo code), ``iso2``, ``iso3``, ``imf_code`` (Int64),
        ``cws_id``, ``country_name``, ``aliases`` (``"|"``-joined other spellings); one row
        per country of the scope.
    """
    return pd.DataFrame(
        {
            "country": [r[0] for r in _ROWS],
            "iso2": [r[1] for r in _ROWS],
            "iso3": [r[2] for r in _ROWS],
            "imf_code": pd.array([r[3] for r in _ROWS], dtype="Int64"),
            "cws_id": [r[4] for r in _ROWS],
            "country_name": [r[5] for r in _ROWS],
            "aliases": ["|".join(r[6]) for r in _ROWS],
        }
    )


COUNTRIES = country_table()

_KEYS = {
    "eurostat": {r[0]: r[0] for r in _ROWS},
    "iso2": {r[1]: r[0] for r in _ROWS},
    "iso3": {r[2]: r[0] for r in _ROWS},
    "imf": {str(r[3]): r[0] for r in _ROWS if r[3] is not None},
    "cws": {r[4]: r[0] for r in _ROWS if r[4] is not None},
    "name": {normalise_name(n): r[0] for r in _ROWS for n in (r[5], *r[6])},
}


def _is_valid_elsewhere(code: str, scheme: str) -> bool:
    """True when ``code`` is a real country code of ``scheme`` outside the scope (pycountry)."""
    if scheme == "iso3":
        return (pycountry.countries.get(alpha_3=code) or pycountry.historic_countries.get(alpha_3=code)) is not None
    if scheme in ("iso2", "eurostat"):
        return (pycountry.countries.get(alpha_2=code) or pycountry.historic_countries.get(alpha_2=code)) is not None
    if scheme == "name":
        try:
            pycountry.countries.lookup(code)
            return True
        except LookupError:
            return False
    return False


@dataclass(frozen=True)
class CountryMatch:
    """Result of :func:`match_countries`.

    Attributes
    ----------
    mapping
        Source code -> Eurostat code, for codes in the scope.
    outside
        Source codes that are valid country codes outside the European scope (kept out of
        the governance tables and recorded in the unmatched-codes table).
    """

    mapping: dict[str, str]
    outside: list[str]

    def report(self, *, source: str, file: str, column: str) -> pd.DataFrame:
        """The codes outside the scope as rows of the unmatched-codes table."""
        return pd.DataFrame(
            {
                "source": source,
                "file": file,
                "column": column,
                "code": list(self.outside),
                "status": "outside the European scope",
            },
            columns=["source", "file", "column", "code", "status"],
        )


def match_countries(
    codes: Iterable[object], scheme: str, *, file: str, column: str, quirks: Mapping[str, str | None] | None = None
) -> CountryMatch:
    """Map a source's country codes to Eurostat codes.

    Parameters
    ----------
    codes
        Distinct codes (or names, ``scheme="name"``) as found in the source.
    scheme
        ``"eurostat"``, ``"iso2"``, ``"iso3"``, ``"imf"`` (IMF numeric), ``"cws"`` or ``"name"``.
    file, column
        Where the codes come from (named in error messages).
    quirks
        Source-specific codes: ``{code: eurostat code}``, or ``{code: None}`` for a code
        known to lie outside the scope (e.g. ``"TAW"`` for Taiwan in the RAI file). Quirks win
        over the standard meaning (LAI writes ``MDV``, Maldives in ISO, for Moldova).

    Raises
    ------
    InputError
        For a code that is neither in the crosswalk, nor a quirk, nor a valid country code
        of the scheme (message names file, column and code).
    """
    if scheme not in _KEYS:
        raise InputError(f"scheme={scheme!r}; expected one of {sorted(_KEYS)}")
    quirks = dict(quirks or {})
    table = _KEYS[scheme]
    mapping: dict[str, str] = {}
    outside: list[str] = []
    unknown: list[str] = []
    for raw in pd.unique(pd.Series(list(codes), dtype=object).dropna()):
        code = str(raw).strip()
        key = normalise_name(code) if scheme == "name" else code
        if code in quirks:
            target = quirks[code]
            if target is None:
                outside.append(code)
            else:
                mapping[code] = target
        elif key in table:
            mapping[code] = table[key]
        elif scheme in ("cws", "imf"):
            unknown.append(code)  # closed lists: checked by the caller against the source's own metadata
        elif _is_valid_elsewhere(code, scheme):
            outside.append(code)
        else:
            unknown.append(code)
    if unknown:
        raise InputError(
            f"{file}: unknown country code(s) {unknown} in column {column!r} ({scheme}); expected codes of the "
            "crosswalk in localise.data.crosswalk or valid country codes outside the European scope"
        )
    return CountryMatch(mapping, sorted(outside))
