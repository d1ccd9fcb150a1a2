"""`zhengtong`: the one command.

Every Django management command is a subcommand (`zhengtong migrate`, `zhengtong demo`,
`zhengtong run`, `zhengtong bench`…), run with the platform's settings.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings.base")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "zhengtong"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
