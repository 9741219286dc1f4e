"""The Core extension's Session module (`www.genesyslab.com/modules/session`, §2).

`<session:fetch>` (an HTTP request with `<param>`s and `<content _expr>`),
`<session:start>` (a new session of a document, with `<param>`s),
`<session:terminate>`, and `<session:response requestid>` (with `<param>`s
and/or `<content expr>`), which answers a request the session server delivered
(`/scxml/session/<id>/request/<name>`). The published documentation names the
response element but not its attributes; `requestid` (the `requestid` of the
request's `_event.data`, an expression) and the children are our choice. Cache
and guaranteed-delivery attributes are accepted for compatibility and have no
effect here.
"""

from __future__ import annotations

from .common import define, element, expr, requestid

NAMESPACE = "www.genesyslab.com/modules/session"

_ACCEPTED = ("maxage", "maxstale", "gdelivery", "gd_retries", "gd_retry_interval")

EXTENSION = define(
    "session",
    NAMESPACE,
    "session",
    [
        element(
            "fetch",
            "session.fetch",
            requestid(),
            expr("srcexpr", required=True),
            expr("method"),
            expr("enctype"),
            expr("type"),
            expr("timeout"),
            expr("headers"),
            *(expr(name) for name in _ACCEPTED),
            children={"param": "params", "content": "content"},
            unused=_ACCEPTED,
        ),
        element(
            "start",
            "session.start",
            requestid(),
            expr("src", required=True),
            expr("idealtime"),
            children={"param": "params"},
            unused=("idealtime",),
        ),
        element("terminate", "session.terminate", requestid(), expr("sessionid")),
        element(
            "response",
            "session.response",
            expr("requestid", required=True),
            children={"param": "params", "content": "content"},
        ),
    ],
)
