"""Service directory tables, shaped after the HSDS 3.0 core objects.

Table and column names follow HSDS so the mapping layer (`bot.directory.hsds`) stays thin.
Our extensions (translations, eligibility flags, confidentiality, provenance, soft delete)
live beside the HSDS columns and never leak into the wire format unmapped.
Primary keys are strings: slugs for seeded services, organizations and taxonomy terms
(stable, readable in URLs), UUIDs for everything else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    true,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from bot.db import Base

ID = String(100)
# Fixed namespace so derived ids are the same on every machine and every seed run.
ID_NAMESPACE = uuid.UUID("6f1c2a4e-3d5b-5c7a-9e10-d4a1b2c3e4f5")


def derived_id(*parts: object) -> str:
    """A stable UUID for a record that has no natural key (phone 2 of service X, ...)."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(str(p) for p in parts)))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _active() -> Mapped[bool]:
    """Soft-delete flag: records are deactivated, never deleted, so history stays auditable."""
    return mapped_column(Boolean, nullable=False, default=True, server_default=true())


class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = (
        # 0004: HSDS listing order, with `active` so the listing reads the index only.
        Index("ix_organization_listing", "name", "id", "active"),
        Index("ix_organization_active", "active"),  # 0004: the few inactive ones
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = _active()

    services: Mapped[list[Service]] = relationship(back_populates="organization", lazy="selectin")
    translations: Mapped[list[Translation]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Translation.entity_id) == Organization.id,
            Translation.entity_type == "organization",
        ),
        viewonly=True,
        lazy="selectin",
    )


class Service(Base):
    __tablename__ = "service"
    __table_args__ = (
        Index("ix_service_status", "status"),
        # 0004 (replaces 0003's ix_service_name_id): HSDS listing order, no sort; `active` and
        # organization_id let COUNT and deep OFFSETs run on the index alone.
        Index("ix_service_listing", "name", "id", "active", "organization_id"),
        # 0004: the few unpublished services (inactive, or of an inactive organization).
        Index("ix_service_active", "active", "organization_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organization.id", name="fk_service_organization_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(200))
    # HSDS enum: active, inactive, defunct, temporarily closed.
    status: Mapped[str] = mapped_column(String(30), default="active", server_default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    alert: Mapped[str | None] = mapped_column(Text)
    # HSDS "last verified" record.
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Extensions. Eligibility flags: None means "we don't know", never "no".
    free_of_charge: Mapped[bool | None] = mapped_column(Boolean)
    no_papers_needed: Mapped[bool | None] = mapped_column(Boolean)
    women_only: Mapped[bool | None] = mapped_column(Boolean)
    minors: Mapped[bool | None] = mapped_column(Boolean)
    appointment_needed: Mapped[bool | None] = mapped_column(Boolean)
    national: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Provenance: every record says where it came from and when it was checked.
    source_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checked_at: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)  # staff-only caveats, never published
    active: Mapped[bool] = _active()

    organization: Mapped[Organization] = relationship(back_populates="services", lazy="joined")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", lazy="selectin", order_by="ServiceAtLocation.id"
    )
    phones: Mapped[list[Phone]] = relationship(
        back_populates="service", lazy="selectin", order_by="Phone.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="service", lazy="selectin", order_by="Schedule.id"
    )
    languages: Mapped[list[Language]] = relationship(
        back_populates="service", lazy="selectin", order_by="Language.code"
    )
    attributes: Mapped[list[Attribute]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Attribute.link_id) == Service.id, Attribute.link_entity == "service"
        ),
        viewonly=True,
        lazy="selectin",
        order_by=lambda: Attribute.taxonomy_term_id,
    )
    translations: Mapped[list[Translation]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Translation.entity_id) == Service.id, Translation.entity_type == "service"
        ),
        viewonly=True,
        lazy="selectin",
    )


class Location(Base):
    __tablename__ = "location"
    __table_args__ = (
        Index("ix_location_country_city", "country", "city_normalised"),
        Index("ix_location_lat_lon", "latitude", "longitude"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # HSDS enum: physical, postal, virtual.
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    url: Mapped[str | None] = mapped_column(String(500))
    organization_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("organization.id", name="fk_location_organization_id"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Extensions.
    position_approximate: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # True when lat/lon is the city centre, not the door
    confidential: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # shelters: the address is never shown, only phones
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    city: Mapped[str | None] = mapped_column(String(200))
    city_normalised: Mapped[str | None] = mapped_column(String(200))  # cities.yml id
    active: Mapped[bool] = _active()

    addresses: Mapped[list[Address]] = relationship(
        back_populates="location", lazy="selectin", order_by="Address.id"
    )
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="location", lazy="selectin"
    )


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    __table_args__ = (
        UniqueConstraint("service_id", "location_id", name="uq_service_at_location_pair"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ID, ForeignKey("service.id", name="fk_service_at_location_service_id"), index=True
    )
    location_id: Mapped[str] = mapped_column(
        ID, ForeignKey("location.id", name="fk_service_at_location_location_id"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = _active()

    service: Mapped[Service] = relationship(back_populates="service_at_locations", lazy="joined")
    location: Mapped[Location] = relationship(back_populates="service_at_locations", lazy="joined")


class Address(Base):
    __tablename__ = "address"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    location_id: Mapped[str] = mapped_column(
        ID, ForeignKey("location.id", name="fk_address_location_id"), index=True
    )
    attention: Mapped[str | None] = mapped_column(String(300))
    address_1: Mapped[str] = mapped_column(String(300))
    address_2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    state_province: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    address_type: Mapped[str] = mapped_column(String(20), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")


class Phone(Base):
    __tablename__ = "phone"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    location_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("location.id", name="fk_phone_location_id"), index=True
    )
    service_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("service.id", name="fk_phone_service_id"), index=True
    )
    organization_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("organization.id", name="fk_phone_organization_id"), index=True
    )
    service_at_location_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("service_at_location.id", name="fk_phone_service_at_location_id")
    )
    number: Mapped[str] = mapped_column(String(50))  # as written on the source
    number_e164: Mapped[str | None] = mapped_column(String(20))  # for tel: links
    extension: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    service: Mapped[Service | None] = relationship(back_populates="phones")


class Schedule(Base):
    __tablename__ = "schedule"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("service.id", name="fk_schedule_service_id"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("location.id", name="fk_schedule_location_id"), index=True
    )
    service_at_location_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("service_at_location.id", name="fk_schedule_service_at_location_id")
    )
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    dtstart: Mapped[dt.date | None] = mapped_column(Date)
    timezone: Mapped[float | None] = mapped_column(Float)
    until: Mapped[dt.date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    wkst: Mapped[str | None] = mapped_column(String(2))
    freq: Mapped[str | None] = mapped_column(String(10))
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(50))
    byweekno: Mapped[str | None] = mapped_column(String(50))
    bymonthday: Mapped[str | None] = mapped_column(String(50))
    byyearday: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)  # the hours as the source wrote them
    opens_at: Mapped[str | None] = mapped_column(String(10))  # HH:MM
    closes_at: Mapped[str | None] = mapped_column(String(10))
    schedule_link: Mapped[str | None] = mapped_column(String(500))
    attending_type: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="schedules")


class Language(Base):
    __tablename__ = "language"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("service.id", name="fk_language_service_id"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("location.id", name="fk_language_location_id"), index=True
    )
    phone_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("phone.id", name="fk_language_phone_id")
    )
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(10))  # ISO 639-1 or 639-3
    note: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="languages")


class Taxonomy(Base):
    __tablename__ = "taxonomy"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = _active()

    terms: Mapped[list[TaxonomyTerm]] = relationship(
        back_populates="taxonomy_detail", lazy="selectin", order_by="TaxonomyTerm.code"
    )


class TaxonomyTerm(Base):
    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("taxonomy_id", "code", name="uq_taxonomy_term_code"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("taxonomy_term.id", name="fk_taxonomy_term_parent_id")
    )
    taxonomy: Mapped[str | None] = mapped_column(String(200))  # HSDS free-text taxonomy name
    language: Mapped[str | None] = mapped_column(String(10))
    taxonomy_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("taxonomy.id", name="fk_taxonomy_term_taxonomy_id"), index=True
    )
    term_uri: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = _active()

    taxonomy_detail: Mapped[Taxonomy | None] = relationship(back_populates="terms", lazy="joined")
    translations: Mapped[list[Translation]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Translation.entity_id) == TaxonomyTerm.id,
            Translation.entity_type == "taxonomy_term",
        ),
        viewonly=True,
        lazy="selectin",
    )


class Attribute(Base):
    """HSDS polymorphic link: taxonomy term -> any record (link_entity names the table)."""

    __tablename__ = "attribute"
    __table_args__ = (
        Index("ix_attribute_taxonomy_term_id", "taxonomy_term_id"),
        Index("ix_attribute_link", "link_entity", "link_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    link_id: Mapped[str] = mapped_column(ID)
    taxonomy_term_id: Mapped[str] = mapped_column(
        ID, ForeignKey("taxonomy_term.id", name="fk_attribute_taxonomy_term_id")
    )
    link_type: Mapped[str | None] = mapped_column(String(50))
    link_entity: Mapped[str] = mapped_column(String(50))
    value: Mapped[str | None] = mapped_column(Text)

    taxonomy_term: Mapped[TaxonomyTerm] = relationship(lazy="joined")


class Translation(Base):
    """Names and descriptions per language: HSDS 3.0 has one text per field, we need four."""

    __tablename__ = "translation"
    __table_args__ = (
        UniqueConstraint(
            "entity_type", "entity_id", "field", "language", name="uq_translation_lookup"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(50))  # table name: service, organization, ...
    entity_id: Mapped[str] = mapped_column(ID)
    field: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(Text)


def translated(record: Any, field: str, language: str | None) -> str | None:
    """The field in `language` if we have it, else the stored (English) value."""
    if language:
        for row in getattr(record, "translations", ()):
            if row.field == field and row.language == language and row.value:
                return row.value
    return getattr(record, field, None)


ALL_MODELS = (
    Organization,
    Service,
    Location,
    ServiceAtLocation,
    Address,
    Phone,
    Schedule,
    Language,
    Taxonomy,
    TaxonomyTerm,
    Attribute,
    Translation,
)
