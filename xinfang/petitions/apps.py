from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "xinfang.petitions"
    label = "petitions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The same-matter index follows every registration, whatever the channel; the
        # counters follow a moved category (tally's receivers).
        from . import intel, tally  # noqa: F401
