"""Default reminder schedule and message texts (seeded by migration 0002, edited by managers).

Texts are Django templates rendered in the sandbox of notifications.rendering; the variables are
listed in notifications.rendering.CONTEXT_VARIABLES.
"""

# line code -> [(offset days from expiry, channel, is statutory notice, text purpose)]
SCHEDULE = {
    "auto": [
        (-45, "email", True, "notice"),
        (-30, "sms", False, "reminder"),
        (-14, "sms", False, "reminder"),
        (-7, "call", False, "call"),
        (-1, "sms", False, "last_day"),
    ],
    "health": [
        (-45, "email", True, "notice"),
        (-30, "sms", False, "reminder"),
        (-7, "sms", False, "reminder"),
        (15, "sms", False, "grace"),
    ],
    "property": [
        (-60, "email", True, "notice"),
        (-30, "email", False, "reminder"),
        (-14, "sms", False, "reminder"),
        (-3, "call", False, "call"),
    ],
}

# A line added later (from the settings page) gets this schedule: the notice on its lead time's last
# day ("notice" offset), then the reminders that fall after it. (offset, channel, is notice, purpose)
NEW_LINE_SCHEDULE = [
    ("notice", "email", True, "notice"),
    (-14, "sms", False, "reminder"),
    (-7, "call", False, "call"),
    (-1, "sms", False, "last_day"),
]

# The statutory notice goes by the first of these the customer can receive (seeded for every line).
DEFAULT_NOTICE_CHANNELS = ("email", "sms", "letter")

# The text a step added on the settings page starts with, by its channel.
NEW_STEP_PURPOSE = {"email": "reminder", "sms": "reminder", "call": "call"}

# (purpose, channel) -> {language: (subject, body)}
TEXTS = {
    ("notice", "email"): {
        "en": (
            "Renewal notice: your {{ line }} policy {{ policy_number }} expires on {{ expiry_date }}",
            "Dear {{ customer_name }},\n\n"
            "This is the formal renewal notice for your {{ line }} policy {{ policy_number }}, "
            "which expires on {{ expiry_date }}.\n"
            "{% if quoted_premium %}Your renewal premium is {{ quoted_premium }}.\n{% endif %}"
            "You can read the renewal terms and confirm online:\n{{ renewal_link }}\n\n"
            "If you have questions, simply reply to this email or call your renewal specialist.\n\n"
            "Kind regards,\nYour renewal team\n\n"
            "To stop receiving emails: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "续保通知：您的{{ line }}保单 {{ policy_number }} 将于 {{ expiry_date }} 到期",
            "尊敬的{{ customer_name }}：\n\n"
            "您的{{ line }}保单 {{ policy_number }} 将于 {{ expiry_date }} 到期，特此发出正式续保通知。\n"
            "{% if quoted_premium %}您的续保保费为 {{ quoted_premium }}。\n{% endif %}"
            "您可以在线查看续保条款并确认续保：\n{{ renewal_link }}\n\n"
            "如有疑问，请直接回复本邮件或致电您的续保专员。\n\n"
            "此致\n续保服务团队\n\n"
            "退订邮件：{{ unsubscribe_link }}",
        ),
    },
    ("notice", "sms"): {
        "en": (
            "",
            "Renewal notice: {{ customer_name }}, your {{ line }} policy {{ policy_number }} expires on "
            "{{ expiry_date }}.{% if quoted_premium %} Renewal premium {{ quoted_premium }}.{% endif %} "
            "Terms and online renewal: {{ renewal_link }} Stop SMS: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "",
            "续保通知：{{ customer_name }}您好，您的{{ line }}保单{{ policy_number }}将于{{ expiry_date }}到期。"
            "{% if quoted_premium %}续保保费{{ quoted_premium }}。{% endif %}"
            "查看条款并在线续保：{{ renewal_link }} 退订：{{ unsubscribe_link }}",
        ),
    },
    ("reminder", "email"): {
        "en": (
            "Reminder: your {{ line }} policy expires on {{ expiry_date }}",
            "Dear {{ customer_name }},\n\n"
            "Your {{ line }} policy {{ policy_number }} expires on {{ expiry_date }}. "
            "Renew in a few clicks to stay covered:\n{{ renewal_link }}\n\n"
            "Kind regards,\nYour renewal team\n\n"
            "To stop receiving emails: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "温馨提示：您的{{ line }}保单将于 {{ expiry_date }} 到期",
            "尊敬的{{ customer_name }}：\n\n"
            "您的{{ line }}保单 {{ policy_number }} 将于 {{ expiry_date }} 到期。点击链接即可续保，保障不中断：\n"
            "{{ renewal_link }}\n\n"
            "此致\n续保服务团队\n\n"
            "退订邮件：{{ unsubscribe_link }}",
        ),
    },
    ("reminder", "sms"): {
        "en": (
            "",
            "{{ customer_name }}, your {{ line }} policy {{ policy_number }} expires on {{ expiry_date }}. "
            "Renew: {{ renewal_link }} Stop SMS: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "",
            "{{ customer_name }}您好，您的{{ line }}保单{{ policy_number }}将于{{ expiry_date }}到期。"
            "续保：{{ renewal_link }} 退订：{{ unsubscribe_link }}",
        ),
    },
    ("last_day", "sms"): {
        "en": (
            "",
            "{{ customer_name }}, your {{ line }} cover ends tomorrow ({{ expiry_date }}). "
            "Renew now to stay covered: {{ renewal_link }} Stop SMS: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "",
            "{{ customer_name }}您好，您的{{ line }}保障将于明天（{{ expiry_date }}）结束，"
            "立即续保以免脱保：{{ renewal_link }} 退订：{{ unsubscribe_link }}",
        ),
    },
    ("grace", "sms"): {
        "en": (
            "",
            "{{ customer_name }}, your {{ line }} policy expired on {{ expiry_date }} and is in its grace period. "
            "Renew now: {{ renewal_link }} Stop SMS: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "",
            "{{ customer_name }}您好，您的{{ line }}保单已于{{ expiry_date }}到期，目前处于宽限期内。"
            "立即续保：{{ renewal_link }} 退订：{{ unsubscribe_link }}",
        ),
    },
    ("call", "call"): {
        "en": (
            "Call {{ customer_name }} about the {{ line }} renewal",
            "Call {{ customer_name }} about policy {{ policy_number }} (expires {{ expiry_date }}). "
            "{% if quoted_premium %}Quoted premium: {{ quoted_premium }}. {% endif %}"
            "Check whether the renewal terms were received and answer any questions.",
        ),
        "zh-hans": (
            "致电{{ customer_name }}沟通{{ line }}续保",
            "致电{{ customer_name }}，保单{{ policy_number }}（{{ expiry_date }}到期）。"
            "{% if quoted_premium %}报价保费：{{ quoted_premium }}。{% endif %}"
            "确认客户已收到续保条款并解答疑问。",
        ),
    },
}

SURVEY_TEXTS = {
    "email": {
        "en": (
            "How did we do?",
            "Dear {{ customer_name }},\n\n"
            "Thank you for your time during your {{ line }} renewal. Would you recommend us to a friend? "
            "Tell us in one click:\n{{ survey_link }}\n\n"
            "Kind regards,\nYour renewal team\n\n"
            "To stop receiving emails: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "邀请您评价我们的服务",
            "尊敬的{{ customer_name }}：\n\n"
            "感谢您在{{ line }}续保过程中的支持。您愿意向朋友推荐我们吗？点击即可评价：\n{{ survey_link }}\n\n"
            "此致\n续保服务团队\n\n"
            "退订邮件：{{ unsubscribe_link }}",
        ),
    },
    "sms": {
        "en": (
            "",
            "{{ customer_name }}, how likely are you to recommend us? {{ survey_link }} "
            "Stop SMS: {{ unsubscribe_link }}",
        ),
        "zh-hans": (
            "",
            "{{ customer_name }}您好，您愿意向朋友推荐我们吗？{{ survey_link }} 退订：{{ unsubscribe_link }}",
        ),
    },
}
