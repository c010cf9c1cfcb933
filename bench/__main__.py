import io
import os
import sys
from importlib import import_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boite.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench import BENCHES  # noqa: E402
from bench.report import Report, machine  # noqa: E402


def main() -> int:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    report = Report()
    try:
        info = machine()
        print(
            f"# machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
            f"Python {info['python']}, database {info['database']}",
            flush=True,
        )
        call_command("load_demo", stdout=io.StringIO())
        only = sys.argv[1:]
        for name in BENCHES:
            if only and not any(name.endswith(o) for o in only):
                continue
            print(f"# {name}", flush=True)
            import_module(name).run(report)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"# saved {report.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
