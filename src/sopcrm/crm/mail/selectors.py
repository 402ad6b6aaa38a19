"""Who sees which received mail.

Mail on a record (matched or assigned) is seen by whoever sees the record. Mail waiting for
review (unmatched, or ignored) has no owner yet, like an unassigned lead: managers and admins
see all of it, since handing it out is their job. A rep sees waiting mail only when its sender is
one of their own customers (the e-mail of a lead they own, of a contact they own, or of the
contact of a deal they own), typically a customer with two open deals, where the rep knows best
which one the message is about. Other waiting mail may be about anyone's customer and stays
hidden from reps.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from sopcrm.core.errors import NotFound
from sopcrm.core.fieldtypes import is_record_id
from sopcrm.core.models import User
from sopcrm.core.visibility import owner_visibility
from sopcrm.crm.records.models import Contact, Deal, Lead

from .models import InboundEmail, InboundStatus, OutboundEmail

WAITING = (InboundStatus.UNMATCHED, InboundStatus.IGNORED)


def _own_customer(user: User) -> Q:
    sender = OuterRef("from_email")
    return Q(
        Exists(Lead.objects.filter(owner=user, email__iexact=sender))
        | Exists(Contact.objects.filter(owner=user, email__iexact=sender))
        | Exists(Deal.objects.filter(owner=user, contact__email__iexact=sender))
    )


def inbound_list(user: User) -> QuerySet[InboundEmail]:
    """Received mail the user may see (see the module docstring), newest first."""
    emails = InboundEmail.objects.select_related("lead", "deal", "contact", "handled_by").defer(
        "raw"
    )
    if not user.is_active:
        return emails.none()
    if user.is_admin:
        return emails.order_by("-received_at", "-pk")
    on_records = (Q(deal__isnull=False) & owner_visibility(user, "deal__owner")) | (
        Q(lead__isnull=False) & owner_visibility(user, "lead__owner")
    )
    waiting = Q(status__in=WAITING)
    if not user.is_manager:
        waiting &= _own_customer(user)
    return emails.filter(on_records | waiting).order_by("-received_at", "-pk")


def inbound_review_queue(user: User) -> QuerySet[InboundEmail]:
    """Mail no record claimed, waiting for someone to assign or ignore it."""
    return inbound_list(user).filter(status=InboundStatus.UNMATCHED)


def inbound_get(user: User, inbound_id: int) -> InboundEmail:
    if not is_record_id(inbound_id):
        raise NotFound(_("No such email."))
    found = inbound_list(user).filter(pk=inbound_id).first()
    if found is None:
        raise NotFound(_("No such email."))
    return found


def inbound_lock_visible(user: User, inbound_id: int) -> InboundEmail:
    """The message locked for a change, or NotFound if the user may not see it."""
    inbound_get(user, inbound_id)
    return InboundEmail.objects.select_for_update().get(pk=inbound_id)


def outbound_get(user: User, email_id: int) -> OutboundEmail:
    """One message in the outbox on a lead or deal the user may see, or NotFound."""
    on_records = (Q(deal__isnull=False) & owner_visibility(user, "deal__owner")) | (
        Q(lead__isnull=False) & owner_visibility(user, "lead__owner")
    )
    found = (
        OutboundEmail.objects.filter(on_records, pk=email_id).first()
        if user.is_active and is_record_id(email_id)
        else None
    )
    if found is None:
        raise NotFound(_("No such email."))
    return found
