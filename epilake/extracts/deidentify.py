"""Pure de-identification steps on a polars frame: re-key, k-anonymity, split."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

import polars as pl

from epilake.privacy import pseudonymise, pseudonymiser

GENERALISED_OKRUG = "city"
SPLITS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))


def partner_secret(extract_secret: str, partner: str) -> str:
    """The partner's own re-keying secret, derived from the platform's extract secret."""
    return pseudonymise(partner, extract_secret, domain="partner")


def _each_distinct(series: pl.Series, function: Callable[[str], str]) -> pl.Series:
    """``function`` of every value, computed once per distinct value (a patient's key recurs
    on many rows); null stays null."""
    values = series.drop_nulls().unique()
    results = pl.Series(map(function, values.to_list()), dtype=pl.String)
    return series.replace_strict(values, results, default=None, return_dtype=pl.String)


def rekey(frame: pl.DataFrame, columns: tuple[str, ...], secret: str) -> pl.DataFrame:
    """Replace each pseudonymous key by a partner-specific HMAC of it (null stays null).

    Two partners' extracts therefore share no key and cannot be joined.
    """
    partner_key = pseudonymiser(secret, domain="partner-key")
    return frame.with_columns(
        _each_distinct(frame[column], partner_key).alias(column) for column in columns
    )


@dataclass(frozen=True)
class KAnonymity:
    k: int
    quasi_identifiers: tuple[str, ...]
    rows_generalised: int  # okrug replaced by "city"
    rows_dropped: int  # still in a group of fewer than k patients after that
    smallest_group: int | None  # patients in the smallest group written (None: no rows)

    def as_dict(self) -> dict:
        return asdict(self) | {
            "holds": self.smallest_group is None or self.smallest_group >= self.k
        }


def _group_sizes(frame: pl.DataFrame, quasi: list[str], person: str) -> pl.Series:
    """For each row, how many distinct patients share its quasi-identifiers."""
    return frame.select(pl.col(person).n_unique().over(quasi)).to_series()


def k_anonymise(
    frame: pl.DataFrame, quasi_identifiers: tuple[str, ...], person: str, k: int
) -> tuple[pl.DataFrame, KAnonymity]:
    """Generalise okrug to the city for rows in groups of fewer than k patients, then drop
    rows still in such groups. Groups count distinct patients, not rows."""
    quasi = list(quasi_identifiers)
    small = _group_sizes(frame, quasi, person) < k
    generalised = frame.with_columns(
        pl.when(small).then(pl.lit(GENERALISED_OKRUG)).otherwise(pl.col("okrug")).alias("okrug")
    )
    keep = _group_sizes(generalised, quasi, person) >= k
    result = generalised.filter(keep)
    sizes = _group_sizes(result, quasi, person)
    report = KAnonymity(
        k=k,
        quasi_identifiers=quasi_identifiers,
        rows_generalised=int(small.sum()),
        rows_dropped=int((~keep).sum()),
        smallest_group=int(sizes.min()) if len(sizes) else None,
    )
    return result, report


def split_of(person_key: str) -> str:
    """train/validation/test from a hash of the (partner) key: one patient, one split."""
    fraction = int.from_bytes(hashlib.sha256(person_key.encode()).digest()[:8], "big") / 2**64
    bound = 0.0
    for name, share in SPLITS:
        bound += share
        if fraction < bound:
            return name
    return SPLITS[-1][0]


def assign_split(frame: pl.DataFrame, person: str) -> pl.DataFrame:
    return frame.with_columns(_each_distinct(frame[person], split_of).alias("split"))
