"""The texts documents start with (seeded as version 1 by migration 0001; managers edit them).

Each is a sandboxed template over documents.sandbox.DOCUMENT_VARIABLES. The facts, the itemised
quote, the "what changed and why" section, the QR code and the acceptance record are laid out by
documents.content around this text.
"""

DEFAULT_TEXTS = {
    ("offer", "en"): (
        "Dear {{ customer_name }},\n"
        "your {{ line }} policy {{ policy_number }} expires on {{ expiry_date }}. We would like to "
        "renew it for you at the premium below, on the same cover.\n"
        "To renew, open the link below or scan the QR code and confirm before {{ deadline }}. "
        "If you have questions, {{ specialist_name }} is glad to help."
    ),
    ("offer", "zh-hans"): (
        "尊敬的{{ customer_name }}：\n"
        "您的{{ line }}保单 {{ policy_number }} 将于{{ expiry_date }}到期。我们诚邀您按以下保费续保，保障内容不变。\n"
        "请在{{ deadline }}之前打开下方链接或扫描二维码确认续保。如有疑问，{{ specialist_name }}将竭诚为您服务。"
    ),
    ("notice", "en"): (
        "Statutory renewal notice. Your {{ line }} policy {{ policy_number }} expires on {{ expiry_date }}. "
        "This notice is given on {{ notice_date }}, at least the number of days before expiry that the "
        "law requires. Unless you renew, your cover ends on the expiry date and claims for events after "
        "it are not covered. You may renew on the terms offered to you, ask for other terms, or let the "
        "policy end; you do not need to do anything to let it end."
    ),
    ("notice", "zh-hans"): (
        "法定续保通知。您的{{ line }}保单 {{ policy_number }} 将于{{ expiry_date }}到期。"
        "本通知于{{ notice_date }}发出，早于法律规定的到期前通知天数。"
        "如不续保，保障将于到期日终止，到期后发生的事故不在保障范围内。"
        "您可以按向您提供的条件续保、要求其他条件，或让保单到期终止；如选择到期终止，无需办理任何手续。"
    ),
    ("confirmation", "en"): (
        "Dear {{ customer_name }},\n"
        "thank you for renewing. This schedule confirms your new policy {{ new_policy_number }}, "
        "which runs from {{ term_start }} to {{ term_end }}. Please keep it with your policy documents."
    ),
    ("confirmation", "zh-hans"): (
        "尊敬的{{ customer_name }}：\n"
        "感谢您续保。本明细表确认您的新保单 {{ new_policy_number }}，保险期间自{{ term_start }}至{{ term_end }}。"
        "请与保单文件一并妥善保管。"
    ),
}
