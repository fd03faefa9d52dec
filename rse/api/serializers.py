"""JSON shapes of the API's objects."""

from __future__ import annotations

from datetime import datetime

from flask import g, url_for

from rse import items
from rse.accounts.service import visible_phone


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def user_json(user, *, private: bool = False) -> dict:
    """A person as the API's caller may see them: the professional address and, unless hidden by
    its owner, the phone (the same rule as the profile page)."""
    data = {
        "id": user.id, "name": user.name, "role": user.role, "job_title": user.job_title,
        "organisation": user.organisation, "site": user.site, "email": user.email,
        "phone": visible_phone(g.get("api_user"), user), "bio": user.bio,
        "active": user.is_active,
        "photo_url": url_for("accounts.photo", user_id=user.id) if user.has_photo else None,
        "url": url_for("accounts.profile", user_id=user.id),
    }
    if private:
        data.update({"phone_visible": user.phone_visible, "theme": user.theme, "background": user.background,
                     "locale": user.locale, "expires_at": iso(user.expires_at),
                     "created_at": iso(user.created_at)})
    return data


def community_json(community, *, my_role: str | None = None, member_count: int | None = None) -> dict:
    data = {
        "id": community.id, "name": community.name, "description": community.description,
        "visibility": community.visibility, "sensitive": community.sensitive,
        "created_at": iso(community.created_at), "my_role": my_role,
        "url": url_for("communities.show", community_id=community.id),
    }
    if member_count is not None:
        data["member_count"] = member_count
    return data


def membership_json(membership) -> dict:
    return {"user": user_json(membership.user), "role": membership.role, "since": iso(membership.created_at)}


def invitation_json(invitation) -> dict:
    return {"id": invitation.id, "email": invitation.email, "community_id": invitation.community_id,
            "role": invitation.role, "expires_at": iso(invitation.expires_at),
            "account_expires_at": iso(invitation.account_expires_at), "created_at": iso(invitation.created_at)}


def version_json(version, document) -> dict:
    return {
        "number": version.number, "filename": version.filename, "content_type": version.content_type,
        "kind": version.kind, "size": version.size, "sha256": version.blob_sha256,
        "author": {"id": version.author.id, "name": version.author.name} if version.author else None,
        "note": version.note, "created_at": iso(version.created_at), "restored_from": version.restored_from,
        "text_extraction": version.extraction,
        "content_url": url_for("api.version_content", document_id=document.id, number=version.number),
    }


def document_json(document, *, versions=None, current=None) -> dict:
    data = {
        "id": document.id, "community_id": document.community_id, "folder_id": document.folder_id,
        "title": document.title, "description": document.description, "tags": document.tags,
        "review_by": document.review_by.isoformat() if document.review_by else None,
        "current_version": document.current_number, "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at), "in_trash": document.in_trash,
        "url": url_for("documents.show", document_id=document.id),
    }
    if current is not None:
        data["current"] = version_json(current, document)
    if versions is not None:
        data["versions"] = [version_json(v, document) for v in versions]
    return data


# --- Feeds -----------------------------------------------------------------------------------------

def person_ref(user) -> dict | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def publication_json(publication, *, liked: bool = False, same_question: bool = False, attachments=None) -> dict:
    """A publication with its counters and the caller's own state (`liked`, `same_question`)."""
    data = {
        "id": publication.id, "community_id": publication.community_id, "kind": publication.kind,
        "title": publication.title, "body": publication.body, "body_html": publication.body_html,
        "url": publication.url, "place": publication.place, "tags": publication.tags or [],
        "author": person_ref(publication.author), "created_at": iso(publication.created_at),
        "updated_at": iso(publication.updated_at), "like_count": publication.like_count,
        "comment_count": publication.comment_count, "same_question_count": publication.same_question_count,
        "accepted_comment_id": publication.accepted_comment_id,
        "wiki_number": publication.wiki_number if publication.kind == "wiki" else None,
        "liked": liked, "same_question": same_question,
        "links": {"html": url_for("publications.show", publication_id=publication.id),
                  "api": url_for("api.get_publication", publication_id=publication.id),
                  "comments": url_for("api.publication_comments", publication_id=publication.id)},
    }
    if attachments is not None:
        data["attachments"] = [{"id": d.id, "title": d.title} for d in attachments]
    return data


def comment_json(comment, *, accepted_id: int | None = None) -> dict:
    return {
        "id": comment.id, "publication_id": comment.publication_id, "document_id": comment.document_id,
        "body": comment.body, "body_html": comment.body_html, "author": person_ref(comment.author),
        "created_at": iso(comment.created_at), "updated_at": iso(comment.updated_at),
        "accepted": accepted_id is not None and comment.id == accepted_id,
    }


def stream_item_json(item) -> dict:
    """One line of a stream: who did what where, and the item as the caller may see it."""
    activity = item.activity
    if item.publication is not None:
        item_type = "publication"
        payload = publication_json(item.publication, liked=item.liked, same_question=item.same_question)
    elif item.document is not None:
        item_type, payload = "document", document_json(item.document)
    else:  # an item of another kind (an action of a plan): what names it and where it is
        subject = item.subject
        item_type = items.kind_of(subject).name
        group = item.subject_group
        payload = {"id": subject.id, "community_id": subject.community_id, "title": items.title(subject),
                   "url": items.url(subject),
                   "group": {"title": group.title, "url": group.url()} if group is not None else None}
    data = {
        "id": activity.id or None,  # pins are not activities
        "verb": activity.verb, "kind": activity.kind, "created_at": iso(activity.created_at),
        "actor": person_ref(item.actor),
        "community": {"id": item.community.id, "name": item.community.name} if item.community else None,
        "item_type": item_type, "item": payload, "pinned": item.pinned, "run_size": activity.run_size or 1,
        "suggestion": None,
    }
    if activity.verb == "suggested" and item.suggestion is not None:
        data["suggestion"] = {"sender": person_ref(item.suggestion.sender), "message": item.suggestion.message}
    return data


def page_json(page) -> dict:
    return {"items": [stream_item_json(i) for i in page.items], "pins": [stream_item_json(i) for i in page.pins],
            "next_cursor": page.next_cursor}


def pin_json(pin) -> dict:
    return {"publication_id": pin.publication_id, "scope": pin.scope, "community_id": pin.community_id,
            "position": pin.position, "until": iso(pin.until), "created_at": iso(pin.created_at)}


def suggestion_json(suggestion) -> dict:
    item_type = "document" if suggestion.document_id is not None else "publication"
    recipients = suggestion.recipients or {}
    return {"id": suggestion.id, "item": {"type": item_type, "id": suggestion.document_id or suggestion.publication_id},
            "sender": person_ref(suggestion.sender), "message": suggestion.message, "everyone": suggestion.everyone,
            "users": recipients.get("users", []), "communities": recipients.get("communities", []),
            "created_at": iso(suggestion.created_at)}


def notification_json(line) -> dict:
    """A notification line (rse.feeds.notifications.service.Line): its item is one the reader may read."""
    row, item, suggestion = line.row, line.item, line.suggestion
    return {
        "id": row.id, "kind": row.kind, "actor": person_ref(row.actor), "created_at": iso(row.created_at),
        "read": row.read_at is not None, "comment_id": row.comment_id, "text": line.sentence,
        "message": suggestion.message if suggestion is not None else None,
        "event": row.event or None, "version_number": row.version_number, "run_size": row.run_size or 1,
        "item": {"type": items.kind_of(item).name, "id": item.id, "title": items.title(item),
                 "url": line.url},
    }


def follow_json(follow) -> dict:
    return {"target": follow.target, "key": follow.key, "label": follow.label, "created_at": iso(follow.created_at)}


# --- Controlled documents ---------------------------------------------------------------------------

def control_json(document, control, state, *, people: dict[str, list], approved_by: list, locked: bool,
                 lock_holder, latest_number: int | None) -> dict:
    """A controlled document's identity, state and roles. `people` (writers, checkers, approvers),
    `approved_by` and `lock_holder` hold only the people the caller may see; `latest_number` is None
    for those outside the circuit (the drafts do not exist for them)."""
    lock = None
    if locked:
        lock = {"user": person_ref(lock_holder), "since": iso(control.locked_at),
                "expires": iso(control.lock_expires_at)}
    data = {
        "document_id": document.id, "community_id": document.community_id, "code": control.code,
        "type": control.doc_type, "applies_to": list(control.applies_to or []),
        "approval_rule": control.approval_rule, "review_months": control.review_months,
        "status": control.status, "stage": state.stage, "state": state.label, "overdue": state.overdue,
        "in_force_number": control.in_force_number,
        "effective_date": control.effective_date.isoformat() if control.effective_date else None,
        "review_by": document.review_by.isoformat() if document.review_by else None,
        "approved_by": [person_ref(u) for u in approved_by], "lock": lock,
        **{role: [person_ref(u) for u in users] for role, users in people.items()},
    }
    if latest_number is not None:
        data["latest_number"] = latest_number
    return data


def decision_json(decision) -> dict:
    return {"id": decision.id, "stage": decision.stage, "verdict": decision.verdict, "comment": decision.comment,
            "sha256": decision.sha256, "version_number": decision.version_number,
            "user": person_ref(decision.user), "created_at": iso(decision.created_at)}


def circuit_json(circuit, decisions=None) -> dict:
    data = {"id": circuit.id, "document_id": circuit.document_id, "version_number": circuit.version_number,
            "sha256": circuit.sha256, "renewal": circuit.renewal, "stage": circuit.stage, "note": circuit.note,
            "submitted_by": person_ref(circuit.submitted_by), "submitted_at": iso(circuit.submitted_at),
            "closed_at": iso(circuit.closed_at)}
    if decisions is not None:
        data["decisions"] = [decision_json(d) for d in decisions]
    return data


def _rate_json(rate) -> dict:
    return {"label": rate.label, "done": rate.done, "total": rate.total, "percent": rate.percent}


def reading_report_json(report) -> dict:
    """The reading of the version in force; `pending_people` holds only the people the caller may see."""
    if report is None:
        return {"version": None, "overall": None, "establishments": [], "communities": [], "pending": []}
    return {"version": report.version, "overall": _rate_json(report.overall),
            "establishments": [_rate_json(r) for r in report.establishments],
            "communities": [_rate_json(r) for r in report.communities],
            "pending": [person_ref(u) for u in report.pending_people]}


def register_entry_json(entry) -> dict:
    document, control = entry.document, entry.control
    return {
        "document_id": document.id, "community_id": document.community_id, "code": control.code,
        "title": document.title, "type": control.doc_type, "type_label": entry.type_label,
        "status": control.status, "stage": entry.state.stage, "state": entry.state.label,
        "in_force_number": control.in_force_number,
        "effective_date": control.effective_date.isoformat() if control.effective_date else None,
        "next_review": entry.next_review.isoformat() if entry.next_review else None, "overdue": entry.state.overdue,
        "reading": {"done": entry.reading_done, "total": entry.reading_total,
                    "percent": round(100 * entry.rate) if entry.rate is not None else None},
        "url": url_for("documents.show", document_id=document.id),
    }


# --- Action plans -----------------------------------------------------------------------------------

def _day(value) -> str | None:
    return value.isoformat() if value else None


def _shown(user, seen: set[int]) -> dict | None:
    """A person the caller may see (their id is in `seen`), else nothing: no name the caller may not know."""
    return person_ref(user) if user is not None and user.id in seen else None


def objective_json(objective) -> dict:
    return {"id": objective.id, "plan_id": objective.plan_id, "title": objective.title,
            "description": objective.description, "position": objective.position}


def plan_json(plan, *, can_manage: bool) -> dict:
    return {"id": plan.id, "community_id": plan.community_id, "title": plan.title, "description": plan.description,
            "created_at": iso(plan.created_at), "updated_at": iso(plan.updated_at),
            "archived_at": iso(plan.archived_at), "objectives": [objective_json(o) for o in plan.objectives],
            "can_manage": can_manage}


def indicator_value_json(row) -> dict:
    return {"id": row.id, "indicator_id": row.indicator_id, "measured_on": _day(row.measured_on),
            "value": row.value, "source": row.source, "created_at": iso(row.created_at)}


def indicator_json(indicator) -> dict:
    latest = indicator.latest
    return {"id": indicator.id, "action_id": indicator.action_id, "name": indicator.name, "unit": indicator.unit,
            "value_type": indicator.value_type, "baseline": indicator.baseline, "target": indicator.target,
            "latest": latest.value if latest is not None else None,
            "values": [indicator_value_json(v) for v in indicator.values]}


def action_link_json(row, item) -> dict:
    kind = items.kind_of(item).name
    return {"id": row.id, "kind": kind, "item_id": item.id, "title": items.title(item), "url": items.url(item),
            "created_at": iso(row.created_at)}


def action_json(action, *, today, seen: set[int], links=None) -> dict:
    """An action; `seen`: the ids of the people the caller may see (the others are left out);
    `links`: its (link, item) pairs the caller reads."""
    return {
        "id": action.id, "plan_id": action.plan_id, "community_id": action.community_id,
        "objective": {"id": action.objective.id, "title": action.objective.title},
        "title": action.title, "description": action.description, "owner": _shown(action.owner, seen),
        "co_owners": [person_ref(row.user) for row in action.co_owner_rows if row.user_id in seen],
        "start_date": _day(action.start_date), "due_date": _day(action.due_date), "status": action.status,
        "late": action.is_late(today), "progress": action.progress, "priority": action.priority,
        "result_note": action.result_note, "closed_at": iso(action.closed_at), "row_version": action.row_version,
        "created_at": iso(action.created_at), "updated_at": iso(action.updated_at),
        "links": [action_link_json(row, item) for row, item in links or []],
        "indicators": [indicator_json(i) for i in action.indicators],
    }


def action_change_json(change, seen: set[int], linked_title) -> dict:
    """A change of an action's history. A linked or unlinked item is named by `linked_title(kind, id)`:
    only while the reader may read it."""
    changes = change.changes
    if change.event in ("linked", "unlinked"):
        changes = {"kind": changes.get("kind"), "id": changes.get("id"),
                   "title": linked_title(changes.get("kind"), changes.get("id"))}
    return {"id": change.id, "event": change.event, "user": _shown(change.user, seen), "changes": changes,
            "created_at": iso(change.created_at)}


def plan_summary_json(summary) -> dict:
    def brief(action) -> dict:
        return {"id": action.id, "title": action.title, "due_date": _day(action.due_date), "status": action.status}

    return {
        "total": summary.total, "by_status": summary.by_status, "done_ratio": round(summary.done_ratio, 4),
        "late": [brief(a) for a in summary.late], "due_soon": [brief(a) for a in summary.due_soon],
        "by_objective": [{"objective": {"id": o.id, "title": o.title}, "counts": counts}
                         for o, counts in summary.by_objective],
        "indicators": [{"id": s.indicator.id, "action_id": s.action.id, "name": s.indicator.name,
                        "unit": s.indicator.unit, "baseline": s.indicator.baseline, "target": s.indicator.target,
                        "latest": s.latest, "ratio": round(s.ratio, 4) if s.ratio is not None else None}
                       for s in summary.indicators],
    }
