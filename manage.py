#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
    # manage.py is the developer's tool: development mode unless the environment says
    # otherwise. Deployments set DEBUG=false and SECRET_KEY; the WSGI, ASGI and Celery
    # entry points have no such default and refuse to start without a SECRET_KEY.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
