"""Mandarin front-end: readings (pinyin with spoken tones after sandhi), normalisation, phonemes."""

import pytest

from vocalis.text import segments
from vocalis.text.normalise_zh import normalise
from vocalis.text.pinyin_ipa import pinyin_to_phonemes, split_tone
from vocalis.text.vocab import vocab


def spoken(text: str) -> str:
    """Pinyin of every syllable with its spoken (post-sandhi) tone."""
    return " ".join(
        split_tone(s.pinyin)[0] + str(s.tone) for seg in segments(text, "zh") for s in seg.syllables
    )


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        ("我去银行取钱", "wo3 qu4 yin2 hang2 qu3 qian2"),
        ("他行走很快", "ta1 xing2 zou3 hen3 kuai4"),
        ("银行行长", "yin2 hang2 hang2 zhang3"),
        ("孩子长大了", "hai2 zi5 zhang3 da4 le5"),
        ("这条路的长度", "zhe4 tiao2 lu4 de5 chang2 du4"),
        ("这很重要", "zhe4 hen3 zhong4 yao4"),
        ("重新开始", "chong2 xin1 kai1 shi3"),
        ("你还是去吧", "ni3 hai2 shi4 qu4 ba5"),
        ("我还钱给你", "wo3 huan2 qian2 gei2 ni3"),
        ("他是会计", "ta1 shi4 kuai4 ji4"),
        ("我会说", "wo3 hui4 shuo1"),
        ("我喜欢音乐", "wo3 xi3 huan1 yin1 yue4"),
        ("音乐会", "yin1 yue4 hui4"),
        ("我很快乐", "wo2 hen3 kuai4 le4"),
        ("朝阳区", "chao2 yang2 qu1"),
        ("唐朝", "tang2 chao2"),
        ("这个地方", "zhe4 ge5 di4 fang1"),
        ("慢慢地走", "man4 man4 de5 zou3"),
        ("得到", "de2 dao4"),
        ("你得去", "ni3 dei3 qu4"),
        ("他跑得快", "ta1 pao3 de5 kuai4"),
        ("少年", "shao4 nian2"),
        ("很少", "hen2 shao3"),
        ("方便", "fang1 bian4"),
        ("便宜", "pian2 yi5"),
        ("降落", "jiang4 luo4"),
        ("投降", "tou2 xiang2"),
        ("看着", "kan4 zhe5"),
        ("着急", "zhao2 ji2"),
        ("睡着了", "shui4 zhao2 le5"),
        ("了解", "liao2 jie3"),
        ("走了", "zou3 le5"),
        ("妈妈", "ma1 ma5"),
        ("我们", "wo3 men5"),
    ],
)
def test_polyphones_and_neutral_tones(text: str, pinyin: str) -> None:
    assert spoken(text) == pinyin


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        ("你好", "ni2 hao3"),
        ("展览馆", "zhan2 lan2 guan3"),
        ("五百", "wu2 bai3"),
        ("一个", "yi2 ge5"),
        ("一样", "yi2 yang4"),
        ("一天", "yi4 tian1"),
        ("一起", "yi4 qi3"),
        ("第一", "di4 yi1"),
        ("十一", "shi2 yi1"),
        ("一百", "yi4 bai3"),
        ("一月一日", "yi1 yue4 yi1 ri4"),
        ("看一看", "kan4 yi5 kan4"),
        ("不是", "bu2 shi4"),
        ("不要", "bu2 yao4"),
        ("不好", "bu4 hao3"),
        ("好不好", "hao3 bu5 hao3"),
    ],
)
def test_tone_sandhi(text: str, pinyin: str) -> None:
    assert spoken(text) == pinyin


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2024年", "二零二四年"),
        ("1999年", "一九九九年"),
        ("2024年5月1日", "二零二四年五月一日"),
        ("2024-05-01", "二零二四年五月一日"),
        ("3:30", "三点三十分"),
        ("14:05", "十四点零五分"),
        ("8:00", "八点整"),
        ("3.5元", "三点五元"),
        ("¥20", "二十元"),
        ("$100", "一百美元"),
        ("50%", "百分之五十"),
        ("打110", "打幺幺零"),
        ("13812345678", "幺三八幺二三四五六七八"),
        ("010-12345678", "零幺零幺二三四五六七八"),
        ("10km", "十公里"),
        ("5kg", "五千克"),
        ("25℃", "二十五摄氏度"),
        ("1234人", "一千二百三十四人"),
        ("3-5天", "三到五天"),
        ("－５度", "负五度"),
    ],
)
def test_normalise(text: str, words: str) -> None:
    assert normalise(text) == words


def test_numbers_read_in_context() -> None:
    assert spoken("1999年") == "yi1 jiu3 jiu3 jiu3 nian2"
    assert spoken("打110") == "da3 yao1 yao1 ling2"
    assert spoken("50%") == "bai3 fen1 zhi1 wu3 shi2"


def test_phonemes_follow_misaki() -> None:
    assert pinyin_to_phonemes("zhong1") == "ꭧʊ→ŋ"
    assert pinyin_to_phonemes("shi4") == "ʂɨ↘"
    assert pinyin_to_phonemes("jue2") == "ʨɥe↗"
    assert pinyin_to_phonemes("zi5") == "ʦɨ"
    (seg,) = list(segments("你好，世界。"))
    assert seg.phonemes == "ni↗xau↓, ʂɨ↘ʨje↘."
    assert seg.text == "你好，世界。"
    assert seg.lang == "zh"


def test_syllable_offsets_index_the_phonemes() -> None:
    text = "我用iPhone拍照，花了3.5元，银行行长说：“一起走吧！”"
    for seg in segments(text):
        for syl in seg.syllables:
            tone = syl.tone
            assert seg.phonemes[syl.start : syl.end] == pinyin_to_phonemes(
                split_tone(syl.pinyin)[0] + str(tone)
            )
        starts = [s.start for s in seg.syllables]
        assert starts == sorted(starts)


def test_mixed_english_gets_english_phonemes() -> None:
    (seg,) = list(segments("我喜欢用Python写代码。"))
    assert seg.lang == "zh"
    assert "pˈIθˌɑn" in seg.phonemes
    assert spoken("我喜欢用Python写代码。") == "wo3 xi3 huan1 yong4 xie3 dai4 ma3"


def test_only_vocab_characters() -> None:
    allowed = set(vocab())
    text = "你好！今天是2024年5月1日，气温25℃。《红楼梦》（曹雪芹）……嗯，对吧？OK。"
    assert set("".join(s.phonemes for s in segments(text))) <= allowed
