"""Settings for a Celery worker in the fault tests: the project's, with a mail backend that can
hold the worker in the middle of a send (``tests.integration.fault_mail``)."""

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.integration.fault_mail.HoldingFileBackend"
