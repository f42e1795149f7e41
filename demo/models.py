"""The host console's own tables: users, workspaces, memberships and namespaces.

They live on the host's metadata (``db.Model``) and are created with ``db.create_all()``; the
plugin's tables live on ``mirror_metadata`` and come from its own Alembic chain, so neither side
ever creates or drops the other's tables.
"""

from __future__ import annotations

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash


class HostBase(DeclarativeBase):
    """The console's declarative base; deliberately not the plugin's ``MirrorBase``."""


db = SQLAlchemy(model_class=HostBase)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A console account. Only a password hash is stored (werkzeug's salted scrypt)."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Workspace(db.Model):  # type: ignore[name-defined,misc]
    """A tenant. Its id is the string the plugin stores in bindings (e.g. ``"alpha"``)."""

    __tablename__ = "console_workspaces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user's role (``admin``, ``editor`` or ``viewer``) in one workspace."""

    __tablename__ = "console_memberships"
    __table_args__ = (UniqueConstraint("user_id", "workspace_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("console_workspaces.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="memberships")
    workspace: Mapped[Workspace] = relationship()


class Namespace(db.Model):  # type: ignore[name-defined,misc]
    """A Kubernetes namespace, ``"cluster/name"``; it belongs to at most one workspace."""

    __tablename__ = "console_namespaces"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    workspace_id: Mapped[str | None] = mapped_column(
        ForeignKey("console_workspaces.id", ondelete="SET NULL"), index=True, default=None
    )

    workspace: Mapped[Workspace | None] = relationship()
