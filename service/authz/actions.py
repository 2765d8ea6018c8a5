"""The actions the service performs on someone's behalf, with stable ids and the record states in
which each may happen. Which role may do what is in ``permissions``; this is what each action *is*.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.authz.scopes import RecordState


class Action(StrEnum):
    DATASET_IMPORT = "dataset.import"
    DATASET_CONFIRM = "dataset.confirm"
    RECORD_RENDER = "record.render"
    RECORD_VIEW = "record.view"
    RECORD_SIGN = "record.sign"
    RECORD_LOCK = "record.lock"
    RECORD_UNLOCK = "record.unlock"
    CORRECTION_REQUEST = "correction.request"
    CORRECTION_APPROVE = "correction.approve"
    CORRECTION_REJECT = "correction.reject"
    CORRECTION_WITNESS = "correction.witness"
    RECORD_ARCHIVE = "record.archive"
    ARCHIVE_AUDIT = "archive.audit"
    EXPORT_ISSUE = "export.issue"
    ACCOUNT_MANAGE = "account.manage"
    PLAN_CONFIGURE = "plan.configure"
    PROGRESS_VIEW = "progress.view"
    AUDIT_VERIFY = "audit.verify"

    @property
    def spec(self) -> ActionSpec:
        return ACTION_SPECS[self]

    @property
    def label(self) -> str:
        return ACTION_SPECS[self].label


# "No single record" (a lock window, an account, a whole school's progress) is the state None.
StateSet = frozenset[RecordState | None]

ANY_STATE: StateSet = frozenset({None, *RecordState})
_BEFORE_LOCK: StateSet = frozenset(
    {None, RecordState.DRAFT, RecordState.CONFIRMED, RecordState.SIGNING, RecordState.SIGNED}
)
_AFTER_LOCK: StateSet = frozenset({RecordState.LOCKED, RecordState.ARCHIVED})


@dataclass(frozen=True)
class ActionSpec:
    label: str  # Vietnamese verb phrase: "không được {label}"
    basis: str  # articles of the regulation
    writes: bool  # changes data or a record (refused on locked records unless allowed below)
    states: StateSet  # record states in which the action may happen


ACTION_SPECS: dict[Action, ActionSpec] = {
    # Data may change until the record is locked; a new version then needs new signatures.
    Action.DATASET_IMPORT: ActionSpec(
        "nhập dữ liệu đánh giá", "Điều 7.3, 8.1, 13.2.d", True, _BEFORE_LOCK
    ),
    Action.DATASET_CONFIRM: ActionSpec(
        "xác nhận dữ liệu", "Điều 7.5, 8.2", True, frozenset({RecordState.DRAFT})
    ),
    Action.RECORD_RENDER: ActionSpec(
        "kết xuất hồ sơ PDF", "Điều 14", True, frozenset({RecordState.CONFIRMED})
    ),
    Action.RECORD_VIEW: ActionSpec("xem hồ sơ", "Điều 2, 4.3, 5.3", False, ANY_STATE),
    Action.RECORD_SIGN: ActionSpec(
        "ký số hồ sơ",
        "Điều 6.6, 7.5, 8.4, 9",
        True,
        frozenset({RecordState.CONFIRMED, RecordState.SIGNING}),
    ),
    # Inspection windows may freeze records in any state before lock (Điều 13.1.a).
    Action.RECORD_LOCK: ActionSpec(
        "khoá hồ sơ", "Điều 6.3, 13.1.a, 13.2.b, 14", True, _BEFORE_LOCK
    ),
    Action.RECORD_UNLOCK: ActionSpec(
        "mở khoá hồ sơ", "Điều 6.3, 13.1.a, 13.2.b", True, frozenset({None, RecordState.LOCKED})
    ),
    # The correction workflow is the one way to change a locked or archived record (Điều 11.4).
    Action.CORRECTION_REQUEST: ActionSpec(
        "đề nghị đính chính hồ sơ", "Điều 8.1, 11.4", True, _AFTER_LOCK
    ),
    Action.CORRECTION_APPROVE: ActionSpec(
        "phê duyệt đề nghị đính chính", "Điều 11.4", True, _AFTER_LOCK
    ),
    Action.CORRECTION_REJECT: ActionSpec(
        "từ chối đề nghị đính chính", "Điều 11.4", True, _AFTER_LOCK
    ),
    Action.CORRECTION_WITNESS: ActionSpec(
        "chứng kiến việc đính chính", "Điều 11.4", True, _AFTER_LOCK
    ),
    Action.RECORD_ARCHIVE: ActionSpec(
        "lưu trữ hồ sơ", "Điều 12.3, 14", True, frozenset({RecordState.LOCKED})
    ),
    Action.ARCHIVE_AUDIT: ActionSpec("kiểm tra kho lưu trữ", "Điều 14", False, ANY_STATE),
    Action.EXPORT_ISSUE: ActionSpec(
        "cấp bản xuất hồ sơ cho học sinh", "Điều 6.3, 9", False, _AFTER_LOCK
    ),
    Action.ACCOUNT_MANAGE: ActionSpec(
        "quản lý tài khoản và phân quyền", "Điều 5.1, 6.2, 13.2.a", True, ANY_STATE
    ),
    Action.PLAN_CONFIGURE: ActionSpec(
        "cấu hình quy trình ký", "Điều 13.1.b, 13.2.c", True, ANY_STATE
    ),
    Action.PROGRESS_VIEW: ActionSpec(
        "theo dõi tiến độ cập nhật và ký", "Điều 11.3", False, ANY_STATE
    ),
    Action.AUDIT_VERIFY: ActionSpec("kiểm tra nhật ký hệ thống", "Điều 3.2", False, ANY_STATE),
}
