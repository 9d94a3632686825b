"""Deterministic realistic Chinese names for demo and scale data."""

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强志明海燕红梅玉兰春梅文博晓东晓明"
    "子涵浩然欣怡宇轩梓萱一诺思远雨桐晨阳佳怡俊杰建军国庆卫东丽萍秀珍德华振华立新永刚丽娟爱华红霞秋菊"
)
# Two-character given names read more naturally when drawn as pairs from this list.
GIVEN_PAIRS = tuple(GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2))


def person_name(rng):
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.3:
        return surname + rng.choice(GIVEN)
    return surname + rng.choice(GIVEN_PAIRS)
