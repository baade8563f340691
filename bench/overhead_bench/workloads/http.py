"""nginx's workloads: `return 200 "ok"` (the cheapest request, the default), the
mixed-status and pipelined exactness runs, 50 URL templates, a connection per
request, and static files sent with sendfile."""

from ..servers import STATIC_FILES
from . import HttpWorkload

OK = HttpWorkload("ok", 'nginx `return 200 "ok"`')

WORKLOADS = [
    OK,
    HttpWorkload("mixed", "nginx /ok, /missing (404), /unavailable (503)", script="mixed"),
    HttpWorkload("pipelined", "nginx, requests pipelined per write", script="pipelined"),
    HttpWorkload(
        "templates-50",
        'nginx `return 200 "ok"` on 50 paths, each its own URL template',
        script="templates",
    ),
    HttpWorkload(
        "new-connections",
        'nginx `return 200 "ok"`, a new connection for every request (`Connection: close`)',
        script="close",
    ),
] + [
    HttpWorkload(
        f"static-{name.split('.')[0]}",
        f"nginx, a {size // 1024} KiB static file (sendfile)",
        path=f"/static/{name}",
    )
    for name, size in STATIC_FILES.items()
]
