"""Provider-confirmed rates: kept with their day, quoted only that day, the catalog otherwise."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from servers.s3 import S3Server

from storyboard import checked_prices
from storyboard.catalog import offer
from storyboard.checked_prices import CheckedRate
from storyboard.models import ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.pricing import quote

FAL_V3 = offer(ProviderId.FAL, ModelId.V3_PRO_T2V)
FIVE_SECONDS = Storyboard(
    provider=ProviderId.FAL,
    model=ModelId.V3_PRO_T2V,
    shots=[Shot(prompt="A lighthouse at dawn.", duration=5)],
    options=Options(sound=False),
)


def _fal_v3(on: date, rate: str = "0.112", sound: bool = False) -> CheckedRate:
    return CheckedRate(
        provider=ProviderId.FAL,
        model=ModelId.V3_PRO_T2V,
        sound=sound,
        usd_per_second=Decimal(rate),
        source="fal.ai GET /v1/models/pricing",
        checked_on=on,
    )


def test_a_rate_checked_today_is_quoted_with_where_it_came_from(data_dir: Path) -> None:
    checked_prices.save(data_dir, [_fal_v3(date.today())])
    price = quote(FIVE_SECONDS, FAL_V3)
    assert price.total == Decimal("0.560") and price.verified
    assert price.items[0].source == f"fal.ai GET /v1/models/pricing, checked {date.today().isoformat()}"


def test_a_rate_checked_yesterday_or_for_another_rule_leaves_the_catalog(data_dir: Path) -> None:
    checked_prices.save(
        data_dir, [_fal_v3(date.today() - timedelta(days=1)), _fal_v3(date.today(), sound=True)]
    )
    assert quote(FIVE_SECONDS, FAL_V3).total == Decimal("1.120")  # catalog: 5 s x $0.224


def test_a_new_check_replaces_the_old_figure_and_a_damaged_file_means_the_catalog(data_dir: Path) -> None:
    checked_prices.save(data_dir, [_fal_v3(date.today(), "0.2")])
    checked_prices.save(data_dir, [_fal_v3(date.today(), "0.112")])
    assert [r.usd_per_second for r in checked_prices.load(data_dir)] == [Decimal("0.112")]
    (data_dir / checked_prices.FILE_NAME).write_text("{not json")
    assert quote(FIVE_SECONDS, FAL_V3).total == Decimal("1.120")


def test_with_media_in_a_bucket_a_price_checked_on_one_replica_is_quoted_by_the_others(
    bucket: str, s3_server: S3Server, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """App replicas have data dirs of their own and share the bucket: a check made on one replica's
    Settings is the price every replica quotes (and admits takes at), not only that one's."""
    checked_prices.save(data_dir, [_fal_v3(date.today())])
    assert not (data_dir / checked_prices.FILE_NAME).exists()
    s3_server.client().head_object(Bucket=bucket, Key=f"studio/{checked_prices.FILE_NAME}")
    checked_prices._shared.clear()  # another process: nothing read yet
    monkeypatch.setenv("STORYBOARD_DATA_DIR", str(tmp_path / "replica-b"))
    price = quote(FIVE_SECONDS, FAL_V3)
    assert price.total == Decimal("0.560") and price.verified
