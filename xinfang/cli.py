"""The `xinfang` console script.

`xinfang nlp …` runs the text tools (plain Python, no database); everything else is a Django
management command (`xinfang migrate`, `xinfang demo`, `xinfang sweep`, `xinfang bench`,
`xinfang audit verify`, `xinfang runserver` …). `demo`, `seed`, `bench` and `screenshots` belong
to the development-only app xinfang.demo and do not exist when XINFANG_ENV=production.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "nlp":
        from xinfang.nlp.cli import main as nlp_main

        return int(nlp_main(args[1:]) or 0)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xinfang", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
