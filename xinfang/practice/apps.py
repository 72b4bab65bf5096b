from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "xinfang.practice"
    label = "practice"
    verbose_name = "接访下访、包案与源头预防"
