"""The Statistic interface (`www.genesyslab.com/modules/statistic`, §7).

`<statistic:subscribe>` and `<statistic:unsubscribe>`; values are read with the
function `_genesys.statistic.sData(object, statistic)`.
"""

from __future__ import annotations

from .common import define, element, expr, requestid

NAMESPACE = "www.genesyslab.com/modules/statistic"

EXTENSION = define(
    "statistic",
    NAMESPACE,
    "statistic",
    [
        element(
            "subscribe",
            "statistic.subscribe",
            requestid(),
            expr("object", required=True),
            expr("statistic", required=True),
            expr("interval"),
        ),
        element(
            "unsubscribe",
            "statistic.unsubscribe",
            requestid(),
            expr("object", required=True),
            expr("statistic", required=True),
        ),
    ],
)
