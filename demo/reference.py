"""Reference data the demo book is drawn from: names, places, products and their weights.

Weights are rough shares, not statistics; each list is used with ``book.pick`` (weights need not
sum to one). Changing any value here changes every seeded book.
"""

PROVINCES = [
    ("Guangdong", 12.6), ("Jiangsu", 8.5), ("Shandong", 7.2), ("Zhejiang", 7.0), ("Henan", 6.8),
    ("Sichuan", 5.9), ("Beijing", 5.6), ("Shanghai", 5.5), ("Hebei", 4.8), ("Hubei", 4.4),
    ("Hunan", 4.2), ("Fujian", 3.9), ("Anhui", 3.9), ("Liaoning", 3.0), ("Shaanxi", 2.8),
    ("Chongqing", 2.6), ("Jiangxi", 2.6), ("Guangxi", 2.4), ("Yunnan", 2.3), ("Shanxi", 2.0),
    ("Heilongjiang", 1.9), ("Tianjin", 1.8), ("Guizhou", 1.6), ("Inner Mongolia", 1.5), ("Jilin", 1.4),
    ("Xinjiang", 1.3), ("Gansu", 1.0), ("Hainan", 0.7), ("Ningxia", 0.4), ("Qinghai", 0.3), ("Tibet", 0.1),
]  # fmt: skip
SURNAMES = [
    "王wang", "李li", "张zhang", "刘liu", "陈chen", "杨yang", "黄huang", "赵zhao", "吴wu", "周zhou", "徐xu", "孙sun",
    "马ma", "朱zhu", "胡hu", "郭guo", "何he", "林lin", "高gao", "罗luo", "郑zheng", "梁liang", "谢xie", "宋song",
    "唐tang", "许xu", "韩han", "冯feng", "邓deng", "曹cao", "彭peng", "曾zeng", "肖xiao", "田tian", "董dong", "潘pan",
    "袁yuan", "蔡cai", "蒋jiang", "余yu", "于yu", "杜du", "叶ye", "程cheng", "魏wei", "苏su", "吕lv", "丁ding",
    "任ren", "卢lu", "姚yao", "沈shen", "钟zhong", "姜jiang", "崔cui", "谭tan", "陆lu", "范fan", "汪wang", "廖liao",
    "石shi", "金jin", "韦wei", "贾jia", "夏xia", "付fu", "方fang", "邹zou", "熊xiong", "白bai", "孟meng", "秦qin",
    "邱qiu", "侯hou", "江jiang", "尹yin", "薛xue", "闫yan", "段duan", "雷lei", "龙long", "黎li", "史shi", "陶tao",
    "贺he", "毛mao", "郝hao", "顾gu", "龚gong", "邵shao", "万wan", "武wu", "钱qian", "戴dai", "严yan", "欧阳ouyang",
    "司马sima",
]  # fmt: skip
GIVEN = [
    "伟wei", "芳fang", "娜na", "敏min", "静jing", "丽li", "强qiang", "磊lei", "军jun", "洋yang", "勇yong", "艳yan",
    "杰jie", "娟juan", "涛tao", "明ming", "超chao", "秀xiu", "霞xia", "平ping", "刚gang", "桂gui", "英ying", "华hua",
    "玉yu", "建jian", "国guo", "文wen", "辉hui", "红hong", "鹏peng", "雪xue", "晨chen", "浩hao", "宇yu", "婷ting",
    "欣xin", "怡yi", "梓zi", "涵han", "子zi", "轩xuan", "思si", "佳jia", "嘉jia", "俊jun", "博bo", "琳lin", "颖ying",
    "晓xiao", "志zhi", "海hai", "燕yan", "春chun", "凯kai", "鑫xin", "斌bin", "慧hui", "梅mei", "荣rong", "振zhen",
    "丹dan", "萍ping",
]  # fmt: skip
CITIES = [
    ("深圳", "Guangdong"), ("广州", "Guangdong"), ("东莞", "Guangdong"), ("佛山", "Guangdong"),
    ("杭州", "Zhejiang"), ("宁波", "Zhejiang"), ("苏州", "Jiangsu"), ("南京", "Jiangsu"),
    ("成都", "Sichuan"), ("武汉", "Hubei"), ("青岛", "Shandong"), ("济南", "Shandong"),
    ("西安", "Shaanxi"), ("厦门", "Fujian"), ("长沙", "Hunan"), ("郑州", "Henan"),
    ("天津", "Tianjin"), ("北京", "Beijing"), ("上海", "Shanghai"), ("重庆", "Chongqing"),
]  # fmt: skip
FIRM_WORDS = [
    "恒达", "华信", "鑫源", "瑞丰", "宏远", "金泰", "永盛", "博远", "天成", "汇通", "中联", "富华", "新城", "安信",
    "德胜", "嘉禾", "正泰", "百川",
]  # fmt: skip
INDUSTRIES = [
    "贸易", "物流", "科技", "建材", "食品", "电子", "餐饮", "纺织", "机械", "医药", "置业", "运输", "服饰", "印务",
]  # fmt: skip
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
]  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.cn", "example.net"]

LINE_CODES = ["auto", "health", "property"]
# Line mix for individuals and for businesses.
LINE_MIX = {"individual": [0.58, 0.30, 0.12], "business": [0.35, 0.10, 0.55]}
PRODUCTS = {
    "auto": [("机动车商业保险", 0.55), ("交强险+商业险套餐", 0.35), ("新能源汽车保险", 0.10)],
    "health": [("百万医疗险", 0.50), ("重大疾病保险", 0.30), ("团体医疗保险", 0.20)],
    "property": [("家庭财产保险", 0.55), ("企业财产保险", 0.35), ("工程险", 0.10)],
}
# Log-normal premiums (median CNY, sigma) per line; businesses' property is much bigger.
PREMIUM = {"auto": (3600, 0.45), "health": (2200, 0.75), "property": (900, 0.9)}
BUSINESS_PROPERTY_PREMIUM = (28000, 1.0)
SEGMENT_PREMIUM_FACTOR = {"standard": 1.0, "high_value": 2.2, "vip": 4.5}
CLAIMS_RATE = {"auto": 0.28, "health": 0.32, "property": 0.06}
CHANNELS = ["direct", "agent", "broker", "online"]
CHANNEL_MIX = [0.15, 0.45, 0.15, 0.25]

# Renewal propensity: base by line, plus segment and channel effects.
RENEW_BASE = {"auto": 0.80, "health": 0.86, "property": 0.74}
RENEW_SEGMENT = {"standard": 0.0, "high_value": 0.04, "vip": 0.07}
RENEW_CHANNEL = {"direct": 0.02, "agent": 0.03, "broker": 0.0, "online": -0.07}
# Of the cases that do not renew: lost, lapsed, not offered.
NOT_RENEWED_SPLIT = [0.72, 0.22, 0.06]
LOST_REASON_MIX = {
    "auto": {
        "price": 0.38,
        "competitor": 0.22,
        "service": 0.08,
        "needs_changed": 0.08,
        "asset_sold": 0.16,
        "other": 0.08,
    },
    "health": {"price": 0.35, "competitor": 0.15, "service": 0.15, "needs_changed": 0.25, "other": 0.10},
    "property": {
        "price": 0.30,
        "competitor": 0.20,
        "service": 0.10,
        "needs_changed": 0.15,
        "asset_sold": 0.15,
        "other": 0.10,
    },
}
NOT_OFFERED_MIX = {"underwriting": 0.6, "fraud_risk": 0.15, "product_withdrawn": 0.25}

COMPLAINT_CATEGORY_MIX = {
    "price": 0.25,
    "claims": 0.25,
    "service": 0.20,
    "renewal_process": 0.15,
    "billing": 0.10,
    "other": 0.05,
}
COMPLAINT_TEXT = {
    "price": [
        "续保报价比去年高出不少，希望说明涨价原因。",
        "Renewal premium rose sharply with no explanation.",
        "同样的保障，别家报价更低，要求重新核价。",
    ],
    "claims": [
        "理赔进度太慢，提交材料两周仍无回复。",
        "理赔金额与预期不符，要求复核。",
        "Claim was rejected; customer disputes the reason.",
    ],
    "service": ["客服电话长时间无人接听。", "业务员承诺回电但一直没有联系。", "Staff at the branch were unhelpful."],
    "renewal_process": [
        "收到的续保通知书信息有误。",
        "线上续保页面无法完成支付。",
        "Received too many renewal reminders.",
    ],
    "billing": ["保费重复扣款，要求退还。", "发票信息开具错误。"],
    "other": ["对保单条款有疑问，希望专人解释。", "要求更新联系地址但未生效。"],
}
RESOLUTIONS = [
    "已向客户解释费率调整依据，客户表示理解。",
    "已加快处理并完成赔付。",
    "已退还多扣保费并致歉。",
    "已更正信息并重新寄送。",
    "Explained the terms; customer accepted.",
    "已安排专人跟进并回访。",
]
ROOT_CAUSES = [
    "Rate change not explained",
    "Processing delay",
    "Data entry error",
    "Staff follow-up missed",
    "Product terms",
]
NPS_COMMENTS = {
    "promoter": ["续保很方便，服务很好。", "业务员很专业，推荐给朋友了。", "Quick and easy renewal."],
    "passive": ["整体还可以，价格有点高。", "流程还行。", "OK, but the reminders came late."],
    "detractor": ["价格太贵了。", "理赔太慢，不满意。", "没人回电话。", "Too expensive compared with others."],
}

SPECIALISTS = [("specialist1", "李娜"), ("specialist2", "王强"), ("specialist3", "陈静"), ("specialist4", "刘洋")]
# Each specialist's effect on renewal odds, so the leaderboard has a spread.
SPECIALIST_SKILL = [0.04, -0.01, 0.02, -0.05]
DEMO_USERS = [
    *[(name, full, "specialist") for name, full in SPECIALISTS],
    ("manager1", "张伟", "manager"),
    ("support1", "赵敏", "support"),
    ("support2", "周婷", "support"),
]
GO_LIVE_DAYS = 365  # Renewal Desk "went live" this many days ago: older expiries have no case.
TERM_DAYS = 365
CONTACT_CHANNELS = ["phone", "message", "email"]
