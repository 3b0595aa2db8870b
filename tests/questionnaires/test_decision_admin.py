"""The round's page for the buyer's decision: the frameworks and the cost of a human
contact on the round's form, and the analysts' yearly prices per vendor."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from questionnaires.models import AuditEvent, Response, Selection
from questionnaires.roles import REVIEWER
from tests.factories import ResponseFactory, UserFactory, VendorFactory, round_of
from tests.questionnaires.test_rounds_admin import _round_form


@pytest.fixture
def analyst_client(client, db):
    client.force_login(UserFactory(username="dana"))
    return client


def test_a_round_records_the_buyers_frameworks_and_the_cost_of_a_human_contact(
    analyst_client, example_version
):
    form = _round_form(
        example_version, frameworks=["nist_ai_rmf", "owasp_llm_2025"], human_contact_cost="4.75"
    )
    page = analyst_client.get(reverse("admin:questionnaires_selection_add")).content.decode()
    assert 'type="checkbox" name="frameworks" value="eu_ai_act"' in page
    reply = analyst_client.post(reverse("admin:questionnaires_selection_add"), form)
    assert reply.status_code == 302, reply.content.decode()[:2000]
    selection = Selection.objects.get()
    assert selection.frameworks == ["nist_ai_rmf", "owasp_llm_2025"]
    assert selection.human_contact_cost == Decimal("4.75")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"frameworks": ["pci_dss"]}, "pci_dss is not a framework with a catalogue here."),
        ({"human_contact_cost": "-1"}, "greater than or equal to 0"),
        ({"human_contact_cost": "1.234"}, "no more than 2 decimal places"),
    ],
)
def test_a_framework_without_a_catalogue_or_a_negative_cost_is_refused(
    analyst_client, example_version, changes, message
):
    reply = analyst_client.post(
        reverse("admin:questionnaires_selection_add"), _round_form(example_version, **changes)
    )
    assert reply.status_code == 200
    assert message in reply.content.decode()
    assert not Selection.objects.exists()


def _round_with_vendors(version):
    selection = round_of(version, name="Northwind 2027")
    responses = [
        ResponseFactory(version=version, selection=selection, vendor=VendorFactory(name=name))
        for name in ("Acme", "Bolt")
    ]
    return selection, responses


def _change_form(version, selection, responses, prices: list[str]) -> dict:
    form = _round_form(version, name=selection.name)
    form.pop("version")  # fixed once vendors are in the round
    form.update({"responses-TOTAL_FORMS": "2", "responses-INITIAL_FORMS": "2"})
    form.update({"prices-TOTAL_FORMS": "2", "prices-INITIAL_FORMS": "2"})
    for i, (response, price) in enumerate(zip(responses, prices, strict=True)):
        form[f"prices-{i}-id"] = str(response.pk)
        form[f"prices-{i}-selection"] = str(selection.pk)
        form[f"prices-{i}-analyst_yearly_price"] = price
    return form


def test_an_analyst_enters_each_vendors_yearly_price_on_the_round(analyst_client, example_version):
    selection, (acme, bolt) = _round_with_vendors(example_version)
    url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
    page = analyst_client.get(url).content.decode()
    assert 'name="prices-0-analyst_yearly_price"' in page
    reply = analyst_client.post(
        url, _change_form(example_version, selection, [acme, bolt], ["1200000.50", ""])
    )
    assert reply.status_code == 302, reply.content.decode()[:3000]
    acme.refresh_from_db()
    bolt.refresh_from_db()
    assert acme.analyst_yearly_price == Decimal("1200000.50")
    assert bolt.analyst_yearly_price is None


def test_changing_a_price_is_recorded_once_with_old_and_new_and_reads_in_the_history(
    analyst_client, example_version
):
    selection, (acme, bolt) = _round_with_vendors(example_version)
    Response.objects.filter(pk=acme.pk).update(analyst_yearly_price=Decimal("1000000"))
    url = reverse("admin:questionnaires_selection_change", args=[selection.pk])

    reply = analyst_client.post(
        url, _change_form(example_version, selection, [acme, bolt], ["1200000.50", ""])
    )

    assert reply.status_code == 302, reply.content.decode()[:3000]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PRICE_CHANGED)
    assert event.response_id == acme.pk
    assert event.actor_user.username == "dana"
    assert event.data == {
        "from": "1000000.00",
        "to": "1200000.50",
        "currency": "GBP",
    }  # the round form's
    described = "Yearly price for the business case: GBP 1,000,000.00 → GBP 1,200,000.50"
    response_page = analyst_client.get(
        reverse("admin:questionnaires_response_change", args=[acme.pk])
    ).content.decode()
    assert "Yearly price changed" in response_page
    assert described in response_page
    audit_page = analyst_client.get(reverse("admin:questionnaires_auditevent_changelist"))
    assert described in audit_page.content.decode()

    # The same prices again (written differently): nothing changed, nothing recorded.
    again = analyst_client.post(
        url, _change_form(example_version, selection, [acme, bolt], ["1200000.5", ""])
    )
    assert again.status_code == 302
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PRICE_CHANGED).count() == 1


def test_clearing_a_price_records_it_as_unknown(analyst_client, example_version):
    selection, (acme, bolt) = _round_with_vendors(example_version)
    Response.objects.filter(pk=bolt.pk).update(analyst_yearly_price=Decimal("500"))
    url = reverse("admin:questionnaires_selection_change", args=[selection.pk])

    analyst_client.post(url, _change_form(example_version, selection, [acme, bolt], ["", ""]))

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PRICE_CHANGED)
    assert (event.response_id, event.data["from"], event.data["to"]) == (bolt.pk, "500.00", None)
    page = analyst_client.get(
        reverse("admin:questionnaires_response_change", args=[bolt.pk])
    ).content.decode()
    assert "Yearly price for the business case: " in page and "→ unknown" in page


def test_a_negative_price_is_refused_and_a_post_without_prices_changes_none(
    analyst_client, example_version
):
    selection, (acme, bolt) = _round_with_vendors(example_version)
    Response.objects.filter(pk=acme.pk).update(analyst_yearly_price=Decimal(5))
    url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
    refused = analyst_client.post(
        url, _change_form(example_version, selection, [acme, bolt], ["-3", ""])
    )
    assert refused.status_code == 200
    assert "greater than or equal to 0" in refused.content.decode()
    form = _change_form(example_version, selection, [acme, bolt], ["", ""])
    for key in [k for k in form if k.startswith("prices-")]:
        del form[key]
    assert analyst_client.post(url, form).status_code == 302
    acme.refresh_from_db()
    assert acme.analyst_yearly_price == Decimal(5)


def test_a_reviewer_sees_the_prices_and_cannot_change_them(client, example_version):
    selection, (acme, _) = _round_with_vendors(example_version)
    Response.objects.filter(pk=acme.pk).update(analyst_yearly_price=Decimal("990000"))
    reviewer = UserFactory(username="rita", is_superuser=False)
    reviewer.groups.add(Group.objects.get(name=REVIEWER))
    client.force_login(reviewer)
    page = client.get(
        reverse("admin:questionnaires_selection_change", args=[selection.pk])
    ).content.decode()
    assert "yearly prices for the business case" in page.lower()
    assert "990" in page
    assert 'name="prices-0-analyst_yearly_price"' not in page
