"""Record views: the directory and content tables, with search, filters and no deletes.

Deactivate through the `active` box of the edit form: nothing is ever hard-deleted, so the
audit trail and HSDS history stay whole. Every change goes through the audited session.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sqladmin import ModelView
from sqladmin.filters import AllUniqueStringValuesFilter, BooleanFilter
from starlette.requests import Request
from wtforms import SelectField

from bot.content.models import Article, ContactNumber
from bot.directory.models import (
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    TaxonomyTerm,
    Translation,
)
from bot.directory.seed import e164
from bot.settings import get_settings
from bot.web.admin.auth import has_role
from bot.web.admin.models import ROLES, AuditLog, StaffUser


class RecordView(ModelView):
    """Shared habits: audit trail on the details page, no deletes, editors write."""

    can_delete = False
    can_export = True
    page_size = 50
    details_template = "dalil/details.html"
    category = "Directory"

    def is_accessible(self, request: Request) -> bool:
        return has_role(request, "admin", "editor", "viewer")

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        # String primary keys (slugs, UUIDs) are not in the form: new records get a UUID.
        pk = self.pk_columns[0]
        if is_created and getattr(model, pk.key, None) is None and pk.type.python_type is str:
            setattr(model, pk.key, str(uuid.uuid4()))


class OrganizationView(RecordView, model=Organization):
    icon = "fa-solid fa-building"
    column_list = [Organization.id, Organization.name, Organization.website, Organization.active]
    column_searchable_list = [Organization.id, Organization.name, Organization.description]
    column_filters = [BooleanFilter(Organization.active)]
    column_sortable_list = [Organization.name]
    form_excluded_columns = [Organization.services, Organization.translations]


class ServiceView(RecordView, model=Service):
    icon = "fa-solid fa-hands-helping"
    column_list = [
        Service.id,
        Service.name,
        Service.organization,
        Service.status,
        Service.assured_date,
        Service.active,
    ]
    column_searchable_list = [Service.id, Service.name, Service.description]
    column_filters = [
        BooleanFilter(Service.active),
        AllUniqueStringValuesFilter(Service.status),
        BooleanFilter(Service.national),
    ]
    column_sortable_list = [Service.name, Service.assured_date, Service.last_modified]
    form_excluded_columns = [
        Service.service_at_locations,
        Service.phones,
        Service.schedules,
        Service.languages,
        Service.attributes,
        Service.translations,
        Service.last_modified,
    ]


class LocationView(RecordView, model=Location):
    icon = "fa-solid fa-location-dot"
    column_list = [Location.id, Location.name, Location.city, Location.country, Location.active]
    column_searchable_list = [Location.id, Location.name, Location.city]
    column_filters = [
        AllUniqueStringValuesFilter(Location.country),
        BooleanFilter(Location.confidential),
        BooleanFilter(Location.active),
    ]
    form_excluded_columns = [Location.addresses, Location.service_at_locations]


class PhoneView(RecordView, model=Phone):
    """Phones have no `active` flag in HSDS: an obsolete number is edited, not removed."""

    icon = "fa-solid fa-phone"
    column_list = [Phone.id, Phone.number, Phone.service, Phone.type, Phone.description]
    column_searchable_list = [Phone.number, Phone.service_id, Phone.description]
    column_filters = [AllUniqueStringValuesFilter(Phone.type)]
    form_excluded_columns = [Phone.number_e164]

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        await super().on_model_change(data, model, is_created, request)
        number = data.get("number")
        if number and number != model.number:
            model.number_e164 = e164(number, _phone_country(model))


def _phone_country(phone: Phone) -> str:
    service = phone.service
    for link in service.service_at_locations if service else ():
        if link.location and link.location.country:
            return link.location.country
    return get_settings().default_country


class ScheduleView(RecordView, model=Schedule):
    icon = "fa-solid fa-clock"
    column_list = [Schedule.id, Schedule.service, Schedule.byday, Schedule.opens_at,
                   Schedule.closes_at, Schedule.description]  # fmt: skip
    column_searchable_list = [Schedule.service_id, Schedule.description]


class CategoryView(RecordView, model=TaxonomyTerm):
    name = "Category"
    name_plural = "Categories"
    icon = "fa-solid fa-tags"
    column_list = [TaxonomyTerm.id, TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.active]
    column_searchable_list = [TaxonomyTerm.code, TaxonomyTerm.name]
    column_filters = [BooleanFilter(TaxonomyTerm.active)]
    form_excluded_columns = [TaxonomyTerm.translations]


class TranslationView(RecordView, model=Translation):
    icon = "fa-solid fa-language"
    column_list = [Translation.entity_type, Translation.entity_id, Translation.field,
                   Translation.language, Translation.value]  # fmt: skip
    column_searchable_list = [Translation.entity_id, Translation.value]
    column_filters = [
        AllUniqueStringValuesFilter(Translation.entity_type),
        AllUniqueStringValuesFilter(Translation.language),
        AllUniqueStringValuesFilter(Translation.field),
    ]
    form_include_pk = False


class ArticleView(RecordView, model=Article):
    category = "Content"
    icon = "fa-solid fa-book"
    column_list = [Article.id, Article.topic, Article.country, Article.language, Article.title,
                   Article.status, Article.reviewed_at, Article.active]  # fmt: skip
    column_searchable_list = [Article.topic, Article.title, Article.body]
    column_filters = [
        AllUniqueStringValuesFilter(Article.topic),
        AllUniqueStringValuesFilter(Article.country),
        AllUniqueStringValuesFilter(Article.language),
        AllUniqueStringValuesFilter(Article.status),
        BooleanFilter(Article.active),
    ]
    column_sortable_list = [Article.topic, Article.reviewed_at]
    form_excluded_columns = [Article.seed_hash, Article.updated_at]


class ContactNumberView(RecordView, model=ContactNumber):
    name = "Emergency number or helpline"
    name_plural = "Emergency numbers & helplines"
    category = "Content"
    icon = "fa-solid fa-phone-volume"
    column_list = [
        ContactNumber.id,
        ContactNumber.country,
        ContactNumber.kind,
        ContactNumber.number,
        ContactNumber.checked_at,
        ContactNumber.active,
    ]
    column_searchable_list = [ContactNumber.number]
    column_filters = [
        AllUniqueStringValuesFilter(ContactNumber.country),
        AllUniqueStringValuesFilter(ContactNumber.kind),
        BooleanFilter(ContactNumber.active),
    ]
    form_excluded_columns = [ContactNumber.seed_hash, ContactNumber.updated_at]


class StaffUserView(RecordView, model=StaffUser):
    """Admins change roles and deactivate accounts; accounts are created with the CLI."""

    name = "Account"
    name_plural = "Accounts"
    category = "Administration"
    icon = "fa-solid fa-user-shield"
    can_create = False
    can_export = False
    column_list = [StaffUser.username, StaffUser.role, StaffUser.active,
                   StaffUser.last_login_at, StaffUser.locked_until]  # fmt: skip
    column_details_exclude_list = [StaffUser.password_hash]
    form_columns = [StaffUser.role, StaffUser.active, StaffUser.locked_until]
    form_overrides: ClassVar[dict[str, Any]] = {"role": SelectField}
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "role": {"choices": [(role, role) for role in ROLES]}
    }

    def is_accessible(self, request: Request) -> bool:
        return has_role(request, "admin")

    def is_visible(self, request: Request) -> bool:
        return has_role(request, "admin")


class AuditLogView(ModelView, model=AuditLog):
    """The whole trail, read-only: search by record, user or field."""

    name = "Audit entry"
    name_plural = "Audit trail"
    category = "Administration"
    icon = "fa-solid fa-clock-rotate-left"
    can_create = can_edit = can_delete = False
    page_size = 100
    column_list = [AuditLog.changed_at, AuditLog.username, AuditLog.action,
                   AuditLog.resource_type, AuditLog.resource_id, AuditLog.field_name,
                   AuditLog.previous_value, AuditLog.replacement_value]  # fmt: skip
    column_searchable_list = [AuditLog.resource_id, AuditLog.username, AuditLog.field_name]
    column_filters = [
        AllUniqueStringValuesFilter(AuditLog.resource_type),
        AllUniqueStringValuesFilter(AuditLog.username),
    ]
    column_default_sort = [(AuditLog.changed_at, True)]


RECORD_VIEWS = (
    OrganizationView,
    ServiceView,
    LocationView,
    PhoneView,
    ScheduleView,
    CategoryView,
    TranslationView,
    ArticleView,
    ContactNumberView,
    StaffUserView,
    AuditLogView,
)
