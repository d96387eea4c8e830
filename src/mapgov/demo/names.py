"""Name pools for the demo street (Luoyang, Xigong district) and a deterministic name maker."""

from __future__ import annotations

import numpy as np

__all__ = [
    "COMMUNITY_NAMES",
    "COMPOUND_NAMES",
    "EW_ROADS",
    "NS_ROADS",
    "STREET_NAMES",
    "UNIT_NAMES",
    "person_names",
    "phones",
]

# The sub-districts (街道) of Xigong district; later tiles of a scaled-up demo get numbered names.
STREET_NAMES: tuple[tuple[str, str], ...] = (
    ("王城路街道", "Wangchenglu Street"),
    ("金谷园街道", "Jinguyuan Street"),
    ("西工路街道", "Xigonglu Street"),
    ("唐宫路街道", "Tanggonglu Street"),
    ("凯旋东路街道", "Kaixuan East Road Street"),
    ("道北路街道", "Daobeilu Street"),
    ("汉屯路街道", "Hantunlu Street"),
    ("邙山街道", "Mangshan Street"),
    ("红山街道", "Hongshan Street"),
    ("洛北街道", "Luobei Street"),
)

COMMUNITY_NAMES: tuple[tuple[str, str], ...] = (
    ("七一路社区", "Qiyi Road"),
    ("纱厂西路社区", "Shachang West Road"),
    ("解放路社区", "Jiefang Road"),
    ("行署路社区", "Xingshu Road"),
    ("周公庙社区", "Zhougong Temple"),
    ("王城公园社区", "Wangcheng Park"),
    ("九都路社区", "Jiudu Road"),
    ("体育场路社区", "Stadium Road"),
    ("金谷园路社区", "Jinguyuan Road"),
    ("西工小街社区", "Xigong Lane"),
    ("唐宫西路社区", "Tanggong West Road"),
    ("健康东路社区", "Jiankang East Road"),
)

EW_ROADS: tuple[str, ...] = (
    "中州中路",
    "凯旋东路",
    "唐宫中路",
    "九都路",
    "纱厂北路",
    "健康东路",
    "金谷园路",
    "西工小街",
    "行署路",
    "芳林路",
    "邙岭路",
    "道北一路",
)
NS_ROADS: tuple[str, ...] = (
    "王城大道",
    "七一路",
    "解放路",
    "定鼎北路",
    "纱厂路",
    "体育场路",
    "周公路",
    "红山路",
    "汉屯路",
    "人民西路",
    "史家屯路",
    "东涧沟路",
)

_COMPOUND_STEMS: tuple[str, ...] = (
    "幸福",
    "和平",
    "建设",
    "东方",
    "红旗",
    "友谊",
    "光明",
    "锦绣",
    "阳光",
    "丽景",
    "翠苑",
    "金桂",
    "银杏",
    "牡丹",
    "河洛",
    "王城",
    "周公",
    "铜加工",
    "轴承厂",
    "拖拉机厂",
    "邮电",
    "供电",
    "水利",
    "纺织",
    "矿山机器厂",
    "建工",
    "粮食局",
    "铁路",
    "棉纺",
    "玻璃厂",
    "耐火",
    "工程机械",
    "电业局",
    "卫生局",
    "教育局",
    "市政",
    "中医院",
    "烟草",
    "交通",
    "气象",
)
_COMPOUND_SUFFIX_OLD: tuple[str, ...] = ("家属院", "宿舍", "小区", "大院", "楼院")
_COMPOUND_SUFFIX_NEW: tuple[str, ...] = ("花园", "家园", "苑", "新城", "名邸", "华府", "小区")

COMPOUND_NAMES = (_COMPOUND_STEMS, _COMPOUND_SUFFIX_OLD, _COMPOUND_SUFFIX_NEW)

UNIT_NAMES: tuple[tuple[str, str], ...] = (
    ("洛阳理工学院", "university"),
    ("河南科技大学西苑校区", "university"),
    ("洛阳师范学院继续教育学院", "university"),
    ("市规划建筑设计研究院", "institute"),
    ("市农业科学研究院", "institute"),
    ("有色金属加工设计研究院", "institute"),
    ("洛阳银行西工支行", "company"),
    ("国网洛阳供电公司西工供电中心", "company"),
    ("中国移动洛阳分公司西工营业部", "company"),
    ("洛阳轴承集团", "company"),
    ("洛阳水务集团西工分公司", "company"),
    ("市燃气集团西工站", "company"),
    ("西工区税务局", "agency"),
    ("西工区人民法院", "agency"),
    ("西工区市场监督管理局", "agency"),
    ("西工区消防救援大队", "agency"),
    ("市公安局西工分局", "agency"),
    ("市第一人民医院", "hospital"),
    ("市中心医院西工院区", "hospital"),
    ("西工区妇幼保健院", "hospital"),
    ("洛阳市第二中学", "school"),
    ("西工区实验小学", "school"),
    ("洛阳市第十九中学", "school"),
    ("市老年大学", "school"),
    ("洛阳职业技术学院", "university"),
    ("洛阳耐火材料研究院", "institute"),
    ("市环境监测站", "institute"),
    ("中国工商银行洛阳西工支行", "company"),
    ("洛阳百货大楼", "company"),
    ("洛阳公交集团西工车队", "company"),
    ("中国邮政洛阳西工分公司", "company"),
    ("洛阳日报社", "company"),
    ("西工区民政局", "agency"),
    ("西工区司法局", "agency"),
    ("西工区城市管理局", "agency"),
    ("西工区人力资源和社会保障局", "agency"),
    ("市第三人民医院", "hospital"),
    ("西工区中医院", "hospital"),
    ("西工区第二实验小学", "school"),
    ("洛阳市第八中学", "school"),
)

_SURNAMES = np.array(
    list(
        "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    )
)
# Rough frequency weights: the commonest surnames first.
_SURNAME_P = np.linspace(3.0, 0.5, len(_SURNAMES))
_SURNAME_P /= _SURNAME_P.sum()
_GIVEN = np.array(
    list(
        "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰建华国庆红梅志宏文玉兰海燕春雷鹏飞晓东慧丹凤琴"
        "素珍淑霞德福荣华振宇佳怡子涵浩然欣悦宇轩梓萱"
    )
)


_SURNAME_CDF = np.cumsum(_SURNAME_P)
_PREFIXES = np.array(
    [
        "135",
        "136",
        "137",
        "138",
        "139",
        "150",
        "151",
        "152",
        "158",
        "159",
        "182",
        "183",
        "186",
        "187",
        "188",
        "155",
        "156",
        "131",
        "132",
        "133",
    ]
)


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` plausible Chinese personal names (two or three characters)."""
    sur = _SURNAMES[np.minimum(np.searchsorted(_SURNAME_CDF, rng.random(n)), len(_SURNAMES) - 1)]
    given = _GIVEN[rng.integers(0, len(_GIVEN), size=(n, 2))]
    two = rng.random(n) < 0.35
    return [s + g[0] if t else s + g[0] + g[1] for s, g, t in zip(sur, given, two, strict=True)]


def phones(rng: np.random.Generator, n: int) -> list[str]:
    """`n` plausible mainland mobile numbers (11 digits)."""
    pre = _PREFIXES[rng.integers(0, len(_PREFIXES), size=n)]
    rest = rng.integers(0, 10**8, size=n)
    return [f"{p}{r:08d}" for p, r in zip(pre, rest, strict=True)]
