"""seed the default categories (from the Xi'an and Beijing programmes)

A frozen copy of the defaults: later edits to categories are data changes made through the API,
so this revision never needs to change.

Targets follow common hotline practice: danger to life or property is answered at once (15 min) and made
safe within 2 hours; water, power, gas, heating within 24 hours; general within 7 days; complex within 15
days. A captain accepts a normal request within an hour.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOUR = 60
DAY = 24 * HOUR

# code, 中文, English, priority, respond min, resolve min, routing rule, department, keywords
CATEGORIES = [
    ("public_lighting", "公共照明", "Public lighting", "normal", HOUR, DAY, "building_captain", None,
     ["路灯", "楼道灯", "灯不亮", "灯坏", "照明", "声控灯", "灯泡"]),
    ("door_lock", "门禁门锁", "Door and lock", "normal", HOUR, DAY, "building_captain", None,
     ["门锁", "单元门", "门禁", "防盗门", "锁坏", "门坏", "关不上"]),
    ("water_leak", "漏水", "Water leak", "high", 30, DAY, "building_captain", None,
     ["漏水", "渗水", "水管", "爆管", "跑水", "停水", "下水道", "堵塞"]),
    ("illegal_parking", "违章停车", "Illegal parking", "normal", HOUR, DAY, "building_captain", "urban_management",
     ["停车", "占道", "乱停", "堵路", "消防通道", "僵尸车"]),
    ("facade_hazard", "外墙及结构隐患", "Facade or structural hazard", "urgent", 15, 15 * DAY, "joint_handling",
     "safety_supervision", ["外墙", "墙皮", "瓷砖", "脱落", "裂缝", "坠落", "松动", "危房", "结构", "空鼓"]),
    ("sanitation", "环境卫生", "Sanitation", "normal", HOUR, 7 * DAY, "building_captain", None,
     ["垃圾", "清运", "卫生", "异味", "脏乱", "污水", "老鼠"]),
    ("greening", "绿化养护", "Greening", "low", HOUR, 7 * DAY, "building_captain", None,
     ["树木", "绿化", "草坪", "修剪", "枯枝", "树枝", "花坛"]),
    ("elderly_service", "为老服务", "Elderly service", "normal", HOUR, 7 * DAY, "building_captain", None,
     ["老人", "独居", "助餐", "代购", "陪诊", "跑腿", "高龄"]),
    ("health_service", "健康服务", "Health service", "normal", HOUR, 7 * DAY, "building_captain", None,
     ["体检", "健康", "叶酸", "上门", "随访", "疫苗", "血压"]),
    ("paperwork", "代办服务", "Paperwork on the resident's behalf", "normal", HOUR, 7 * DAY, "building_captain",
     "civil_affairs", ["代办", "优待证", "医保卡", "退役军人", "证件", "社保卡", "补办"]),
    ("policy_question", "政策咨询", "Policy question", "low", HOUR, 7 * DAY, "building_captain", None,
     ["政策", "咨询", "补贴", "怎么办理", "条件", "申请"]),
    ("counselling", "心理疏导", "Counselling", "normal", HOUR, 7 * DAY, "building_captain", None,
     ["心理", "疏导", "情绪", "抑郁", "焦虑"]),
    ("neighbour_dispute", "邻里纠纷", "Neighbour dispute", "normal", HOUR, 15 * DAY, "building_captain", None,
     ["噪音", "纠纷", "吵架", "邻居", "矛盾", "扰民"]),
    ("epidemic_duty", "疫情防控", "Epidemic duty", "high", 30, DAY, "building_captain", "health",
     ["疫情", "核酸", "隔离", "防疫", "发热", "消杀"]),
    ("other", "其他", "Other", "normal", HOUR, 7 * DAY, "building_captain", None, []),
]

category = sa.table(
    "category",
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("default_priority", sa.String),
    sa.column("respond_minutes", sa.Integer),
    sa.column("resolve_minutes", sa.Integer),
    sa.column("routing_rule", sa.String),
    sa.column("department", sa.String),
    sa.column("keywords", sa.ARRAY(sa.Text)),
    sa.column("sort_order", sa.SmallInteger),
)


def upgrade() -> None:
    op.bulk_insert(
        category,
        [
            {
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "default_priority": priority,
                "respond_minutes": respond,
                "resolve_minutes": resolve,
                "routing_rule": rule,
                "department": department,
                "keywords": keywords,
                "sort_order": order,
            }
            for order, (code, zh, en, priority, respond, resolve, rule, department, keywords) in enumerate(
                CATEGORIES, start=1
            )
        ],
    )


def downgrade() -> None:
    codes = [row[0] for row in CATEGORIES]
    op.execute(category.delete().where(sa.column("code").in_(codes)))
