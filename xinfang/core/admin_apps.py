"""``django.contrib.admin`` whose ``admin.site`` is the one behind the second factor
(``xinfang.core.second_factor.SecondFactorAdminSite``). A module of its own: an app config is
imported before the models are ready."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "xinfang.core.second_factor.SecondFactorAdminSite"
