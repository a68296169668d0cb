"""The interface in English and Chinese, switched at run time from a visible control.

Gradio's own `gr.I18n` follows the browser's locale only (its language menu sits in a hidden settings
panel and is not remembered), so labels are translated here instead: every translatable component is
made through `Translator.make`, which remembers which of its properties name a string, and a switch of
language sends each of them its text again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import gradio as gr

from vocalis.studio.webui.dub_strings import DUB_STRINGS
from vocalis.studio.webui.market_strings import MARKET_STRINGS

LANGUAGES = {"en": "English", "zh": "中文"}
C = TypeVar("C", bound=gr.blocks.Block)

# key -> (English, Chinese)
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("# Vocalis\nOffline English and Mandarin speech, with your own voices.",
                  "# Vocalis\n离线中英文语音合成，可使用你自己的声音。"),
    "app.language": ("Interface language", "界面语言"),
    "tab.speak": ("Speak", "朗读"),
    "tab.clone": ("Clone", "克隆"),
    "tab.train": ("Train", "训练"),
    "tab.library": ("Library", "声音库"),
    "tab.history": ("History", "历史"),
    # Speak
    "speak.text": ("Text", "文本"),
    "speak.text.placeholder": ("Type or paste English or Chinese text. Markup: [pause 0.5s] for a pause, "
                               "{行|hang2} for pinyin.",
                               "输入或粘贴中英文文本。标记：[pause 0.5s] 插入停顿，{行|hang2} 指定拼音。"),
    "speak.lang": ("Text language", "文本语言"),
    "speak.lang.info": ("Auto detects it sentence by sentence.", "自动：逐句识别语言。"),
    "lang.auto": ("Auto", "自动"),
    "lang.en": ("English", "英语"),
    "lang.zh": ("Mandarin", "普通话"),
    "speak.voice": ("Voice", "声音"),
    "speak.voice.info": ("Built-in voices and the voices you cloned.", "内置声音和你克隆的声音。"),
    "voice.auto": ("Best built-in voice for the language", "按语言自动选择内置声音"),
    "voice.yours": ("yours", "我的"),
    "speak.segments": ("Segment preview", "分段预览"),
    "speak.segments.button": ("Preview segments", "预览分段"),
    "speak.segments.phonemes": ("Show phonemes", "显示音素"),
    "speak.segments.help": ("How the text will be split: each segment is rendered on its own, "
                            "with its pause after it.",
                            "文本的切分方式：每段单独合成，段后带停顿。"),
    "col.n": ("#", "#"),
    "col.lang": ("Language", "语言"),
    "col.text": ("Text", "文本"),
    "col.pause": ("Pause after (s)", "段后停顿（秒）"),
    "col.phonemes": ("Phonemes", "音素"),
    "speak.emotion": ("Emotion", "情感"),
    "speak.emotion.method": ("How to say it", "表达方式"),
    "emotion.voice": ("As the voice speaks", "保持声音本色"),
    "emotion.audio": ("From a clip", "参考音频"),
    "emotion.vector": ("Sliders", "滑块"),
    "emotion.text": ("Description", "文字描述"),
    "speak.emotion.audio": ("Emotion clip", "情感参考音频"),
    "speak.emotion.audio.help": ("Anyone's speech: its mood is taken (pitch, range, effort), not its voice.",
                                 "任何人的语音：只取其情绪（音高、音域、力度），不取其音色。"),
    "speak.emotion.text": ("Description", "描述"),
    "speak.emotion.text.placeholder": ('e.g. "coldly, barely hiding anger" or "温柔地说"',
                                       "例如 “温柔地说” 或 “coldly, barely hiding anger”"),
    "speak.emotion.weight": ("Strength", "强度"),
    "speak.emotion.weight.info": ("How far from the voice's own delivery (0-1).", "偏离声音本色的程度（0-1）。"),
    "emotion.happy": ("Happy", "高兴"),
    "emotion.angry": ("Angry", "愤怒"),
    "emotion.sad": ("Sad", "悲伤"),
    "emotion.afraid": ("Afraid", "恐惧"),
    "emotion.disgusted": ("Disgusted", "厌恶"),
    "emotion.melancholic": ("Melancholic", "忧郁"),
    "emotion.surprised": ("Surprised", "惊讶"),
    "emotion.calm": ("Calm", "平静"),
    "speak.timing": ("Timing", "时长"),
    "speak.timing.mode": ("Timing", "时长控制"),
    "timing.free": ("Natural", "自然"),
    "timing.speed": ("Speed", "语速"),
    "timing.duration": ("Exact length", "精确时长"),
    "speak.speed": ("Speed", "语速"),
    "speak.speed.info": ("0.5 = half as fast, 2.0 = twice as fast.", "0.5 为一半速度，2.0 为两倍速度。"),
    "speak.duration": ("Seconds", "秒数"),
    "speak.duration.info": ("The whole output lasts exactly this long, pauses included.",
                            "整段输出的精确时长，包含停顿。"),
    "speak.advanced": ("Advanced", "高级"),
    "speak.format": ("Audio format", "音频格式"),
    "speak.subtitles": ("Subtitle format", "字幕格式"),
    "speak.advanced.help": ("The same input always gives the same speech: there is no randomness to seed (only "
                            "the inaudible watermark's id is new for every render). Add [pause 0.8s] in the text for "
                            "a pause of your own.",
                            "相同输入总是得到相同语音：没有需要设定种子的随机性（只有听不见的水印编号每次不同）。"
                            "可在文本中加入 [pause 0.8s] 自定停顿。"),
    "speak.pause_scale": ("Pauses between segments", "分段间停顿"),
    "speak.pause_scale.info": ("× the pauses that follow punctuation (0: none, 1: natural)",
                               "标点后停顿的倍数（0：无停顿，1：自然）"),
    "speak.max_phonemes": ("Segment length (phonemes)", "分段长度（音素）"),
    "speak.max_phonemes.info": ("Longest segment; longer sentences split at clauses first (150 ≈ 10 s)",
                                "每段最长音素数；更长的句子先在分句处切分（150 约 10 秒）"),
    "speak.generate": ("Generate", "生成"),
    "speak.output": ("Speech", "语音"),
    "speak.files": ("Downloads", "下载"),
    "speak.progress": ("Segment", "分段"),
    "speak.done": ("{seconds:.2f} s of speech (segments: {segments}), rendered in {took:.1f} s. "
                   "Saved to the history.",
                   "生成 {seconds:.2f} 秒语音，共 {segments} 段，用时 {took:.1f} 秒，已存入历史。"),
    "speak.no_emotion_clip": ("Add an emotion clip, or choose another way to set the emotion.",
                              "请添加情感参考音频，或选择其他情感方式。"),
    "speak.no_emotion_text": ("Describe the emotion, or choose another way to set it.",
                              "请描述情感，或选择其他情感方式。"),
    "speak.no_duration": ("Give a length in seconds above 0, or choose another timing.",
                          "请填写大于 0 的秒数，或选择其他时长控制。"),
    # Clone
    "clone.intro": ("Clone a voice from 3-30 s of one person's speech (10-30 s gives a closer voice). "
                    "Any common format; noise and clipping lower the quality.",
                    "用某人 3-30 秒的语音克隆声音（10-30 秒效果更好）。支持常见格式；噪音和削波会降低质量。"),
    "clone.reference": ("Reference speech", "参考语音"),
    "clone.name": ("Name", "名称"),
    "clone.name.info": ("Letters, digits, '_', '-' or '.'; used to pick the voice everywhere.",
                        "字母、数字、'_'、'-' 或 '.'；用于在各处选择该声音。"),
    "clone.lang": ("Language the voice will mostly speak", "该声音主要说的语言"),
    "clone.overwrite": ("Replace a voice of the same name", "替换同名声音"),
    "clone.button": ("Clone voice", "克隆声音"),
    "clone.check": ("Reference check", "参考音频检查"),
    "clone.result": ("Result", "结果"),
    "clone.sample": ("Preview in the new voice (watermarked)", "新声音试听（含水印）"),
    "clone.speech_s": ("Speech", "有效语音"),
    "clone.snr": ("Signal to noise", "信噪比"),
    "clone.clipping": ("Clipped samples", "削波采样"),
    "clone.no_hints": ("The reference looks good.", "参考音频质量良好。"),
    "clone.need_audio": ("Upload or record the reference speech first.", "请先上传或录制参考语音。"),
    "clone.need_name": ("Give the voice a name.", "请为声音命名。"),
    "clone.saved": ("Saved **{name}** in the library ({seconds:.0f} s).",
                    "已将 **{name}** 存入声音库（{seconds:.0f} 秒）。"),
    "clone.similarity": ("Similarity of the test sentence to the reference: **{clone:.2f}** "
                         "(the built-in voice it started from, {start}: {start_sim:.2f}). "
                         "Measured by a speaker encoder the clone was not fitted on (d-vector cosine, 1 = identical).",
                         "测试句与参考语音的相似度：**{clone:.2f}**（起点内置声音 {start}：{start_sim:.2f}）。"
                         "由克隆时未使用的说话人编码器测得（d-vector 余弦，1 为完全相同）。"),
    "clone.needs_consent": ("**{name} cannot speak yet**: the person it copies must consent. Below: they read the "
                            "phrase aloud, or an operator grants written consent (`vocalis consent grant`).",
                            "**{name} 还不能使用**：需要被克隆者本人同意。请在下方让其朗读同意语句，"
                            "或由管理员授予书面同意（`vocalis consent grant`）。"),
    # Train
    "train.intro": ("Train a voice on 30 s to 10 min of one person's speech (a few minutes gives the closest "
                    "voice): it starts from an instant clone and learns how the recordings sound. Any common "
                    "audio or video format; check the recordings before the long run.",
                    "用某人 30 秒到 10 分钟的语音训练声音（几分钟效果最好）：从即时克隆出发，学习录音的音色。"
                    "支持常见音频和视频格式；长时间训练前请先检查录音。"),
    "train.clips": ("Recordings of one person", "同一人的录音"),
    "train.transcripts": ("Transcripts (optional)", "文字稿（可选）"),
    "train.transcripts.info": ("One line per clip: its file name, a tab (or '|'), what it says. Clips without "
                               "one are transcribed by Whisper (slower).",
                               "每个片段一行：文件名、制表符（或 '|'）、内容。"
                               "没有文字稿的片段由 Whisper 转写（较慢）。"),
    "train.name": ("Name", "名称"),
    "train.lang": ("Language of the recordings", "录音语言"),
    "train.minutes": ("Training time (minutes)", "训练时长（分钟）"),
    "train.minutes.info": ("The whole run, preparation included; the best point within it is kept.",
                           "整个过程的时长，包括准备；保留其中效果最好的结果。"),
    "train.start": ("Start from a clone", "从克隆声音开始"),
    "train.start.info": ("A clone of the same person: the trained voice keeps its consent. Otherwise a new "
                         "instant clone of the recordings.",
                         "同一人的克隆声音：训练后的声音沿用其授权。否则从录音新建即时克隆。"),
    "train.start.none": ("New instant clone", "新建即时克隆"),
    "train.overwrite": ("Replace a trained voice of the same name", "替换同名的训练声音"),
    "train.check_button": ("Check recordings", "检查录音"),
    "train.button": ("Train voice", "训练声音"),
    "train.cancel": ("Cancel training", "取消训练"),
    "train.cancelling": ("Stopping after the current step…", "将在当前步骤后停止…"),
    "train.check": ("Recording check", "录音检查"),
    "train.clips_n": ("Clips", "片段"),
    "train.utterances": ("Utterances", "语句"),
    "train.by_whisper": ("transcribed by Whisper", "由 Whisper 转写"),
    "train.ready": ("Ready to train.", "可以开始训练。"),
    "train.need_clips": ("Add the recordings first.", "请先添加录音。"),
    "train.need_name": ("Give the voice a name.", "请为声音命名。"),
    "train.eta": ("{message} · about {eta} left", "{message} · 约剩 {eta}"),
    "train.result": ("Result", "结果"),
    "train.saved": ("Saved **{name}** in the library: {steps} training steps in {seconds:.0f} s on {speech:.0f} s "
                    "of speech, starting from {start}.",
                    "已将 **{name}** 存入声音库：基于 {speech:.0f} 秒语音、从 {start} 出发，训练 {steps} 步，"
                    "用时 {seconds:.0f} 秒。"),
    "train.metrics": ("Measured on recordings held out of the training:", "在未参与训练的录音上测得："),
    "train.similarity": ("Speaker similarity", "说话人相似度"),
    "train.similarity.help": ("1 = the same voice", "1 为完全相同"),
    "train.error_rate": ("Error rate reading their text", "朗读其文本的错误率"),
    "train.error_rate.help": ("Whisper; words, or characters for Mandarin", "Whisper 识别；英文按词，中文按字"),
    "train.loss": ("Reconstruction loss", "重建损失"),
    "train.loss.help": ("before → after training, lower is closer", "训练前 → 训练后，越低越接近"),
    "train.keeps_consent": ("It keeps the consent given for {start}: it can speak now.",
                            "沿用 {start} 的授权：现在即可使用。"),
    "train.needs_consent": ("**{name} cannot speak yet**: the person it copies must consent, in the Consent panel "
                            "of the Clone tab (or `vocalis consent grant`).",
                            "**{name} 还不能使用**：需要被模仿者本人在“克隆”页的授权同意面板中同意"
                            "（或使用 `vocalis consent grant`）。"),
    "train.cancelled": ("Training cancelled. Its checkpoint is kept: train again with the same recordings and "
                        "settings to resume.",
                        "训练已取消。检查点已保留：用相同的录音和设置再次训练即可继续。"),
    "train.instant": ("an instant clone of the recordings", "录音的即时克隆"),
    "train.compare_text": ("Comparison sentence", "对比句子"),
    "train.compare_text.info": ("Voices without consent yet say the fixed preview sentence instead.",
                                "尚未获得授权的声音改为朗读固定的试听句子。"),
    "train.compare": ("Compare again", "重新对比"),
    "train.before": ("Before: the voice it started from", "训练前：起点声音"),
    "train.after": ("After: the trained voice", "训练后：训练出的声音"),
    "train.fixed_sentence": ("Both say the fixed preview sentence until they have consent.",
                             "获得授权前，两者都朗读固定的试听句子。"),
    "train.need_result": ("Train a voice first.", "请先训练一个声音。"),
    # Consent (Clone tab)
    "consent.title": ("Consent", "授权同意"),
    "consent.help": ("A cloned voice speaks only with consent from the person it copies. They read the phrase "
                     "aloud; Whisper checks the words and a speaker encoder checks it is the person the voice was "
                     "cloned from. A recording made by Vocalis is refused.",
                     "克隆声音只有在被克隆者本人同意后才能使用。请本人朗读下面的语句；Whisper 核对内容，"
                     "说话人编码器核对是否为被克隆者本人。由 Vocalis 合成的录音会被拒绝。"),
    "consent.voice": ("Cloned voice", "克隆声音"),
    "consent.phrase_button": ("Show a phrase to read", "显示朗读语句"),
    "consent.phrase": ("Read aloud:\n\n> {phrase}", "请朗读：\n\n> {phrase}"),
    "consent.recording": ("Recording of the phrase", "语句录音"),
    "consent.check": ("Check and record consent", "核验并记录同意"),
    "consent.granted": ("✓ Consent recorded for **{name}**: heard {words:.0%} of the phrase, speaker similarity "
                        "{similarity:.2f} (at least {threshold:.2f}). The voice can now be used.",
                        "✓ 已记录 **{name}** 的同意：语句吻合 {words:.0%}，说话人相似度 {similarity:.2f}"
                        "（至少 {threshold:.2f}）。现在可以使用该声音。"),
    "consent.refused": ("✗ Consent refused:", "✗ 同意未通过："),
    "consent.need_recording": ("Record or upload the phrase first.", "请先录制或上传语句录音。"),
    "consent.need_voice": ("Name the cloned voice first.", "请先填写克隆声音的名称。"),
    "col.consent": ("Consent", "授权"),
    "consent.state.granted": ("granted", "已同意"),
    "consent.state.missing": ("needed", "待同意"),
    "consent.state.revoked": ("revoked", "已撤销"),
    "library.revoke": ("Revoke consent", "撤销同意"),
    "library.revoke_confirm": ("Revoke consent for this voice? It stops working everywhere.",
                               "撤销该声音的同意？它将在所有地方停止工作。"),
    "library.revoked": ("Consent for {name} revoked.", "已撤销 {name} 的同意。"),
    # Library
    "library.voices": ("Voices", "声音"),
    "library.voice": ("Voice", "声音"),
    "library.preview_text": ("Preview sentence", "试听句子"),
    "library.preview_text.placeholder": ("Empty: a sentence in the voice's language", "留空：使用该声音语言的句子"),
    "library.preview": ("Preview", "试听"),
    "library.preview_audio": ("Preview", "试听"),
    "library.new_name": ("New name", "新名称"),
    "library.rename": ("Rename", "重命名"),
    "library.delete": ("Delete", "删除"),
    "library.delete_confirm": ("Delete this voice from the library?", "从声音库中删除这个声音？"),
    "library.export": ("Export voice file", "导出声音文件"),
    "library.export_file": ("Voice file", "声音文件"),
    "library.import": ("Import a voice file (.npz or .safetensors)", "导入声音文件（.npz 或 .safetensors）"),
    "library.import_name": ("Name for the imported voice (empty: keep its own)", "导入后的名称（留空则保留原名）"),
    "library.import_button": ("Import", "导入"),
    "library.renamed": ("Renamed {old} to {new}.", "已将 {old} 重命名为 {new}。"),
    "library.deleted": ("Deleted {name}.", "已删除 {name}。"),
    "library.imported": ("Imported {name}.", "已导入 {name}。"),
    "library.builtin_readonly": ("{name} is a built-in voice: only cloned voices can be renamed, deleted or exported.",
                                 "{name} 是内置声音：只有克隆的声音可以重命名、删除或导出。"),
    "library.pick": ("Pick a voice first.", "请先选择一个声音。"),
    "library.need_file": ("Choose a voice file (.npz or .safetensors) to import.",
                          "请选择要导入的声音文件（.npz 或 .safetensors）。"),
    "col.name": ("Name", "名称"),
    "col.kind": ("Kind", "类型"),
    "col.about": ("About", "说明"),
    "col.created": ("Created", "创建时间"),
    "kind.builtin": ("built-in", "内置"),
    "kind.cloned": ("cloned", "克隆"),
    "kind.imported": ("imported", "导入"),
    "kind.trained": ("trained", "训练"),
    "library.trained_on": ("trained on {seconds:.1f} s of speech ({steps} steps)",
                           "由 {seconds:.1f} 秒语音训练（{steps} 步）"),
    "library.cloned_from": ("cloned from {seconds:.1f} s of speech", "由 {seconds:.1f} 秒语音克隆"),
    "presets": ("Presets", "预设"),
    "presets.help": ("A preset keeps the Speak tab's voice, emotion and timing. A clip's emotion is kept as "
                     "the slider values it gave.",
                     "预设保存朗读页的声音、情感和时长设置。参考音频的情感以其对应的滑块数值保存。"),
    "presets.pick": ("Preset", "预设"),
    "presets.apply": ("Apply to Speak", "应用到朗读"),
    "presets.delete": ("Delete preset", "删除预设"),
    "presets.name": ("Preset name", "预设名称"),
    "presets.save": ("Save current Speak settings", "保存当前朗读设置"),
    "presets.saved": ("Saved preset {name}.", "已保存预设 {name}。"),
    "presets.deleted": ("Deleted preset {name}.", "已删除预设 {name}。"),
    "presets.need_pick": ("Pick a preset first.", "请先选择一个预设。"),
    "presets.missing_voice": ("Voice {voice} is no longer in the library: the default voice is used.",
                              "声音 {voice} 已不在声音库中：改用默认声音。"),
    # History
    "history.entries": ("Past syntheses", "历史合成"),
    "history.pick": ("Entry", "记录"),
    "history.audio": ("Audio", "音频"),
    "history.files": ("Files", "文件"),
    "history.details": ("Parameters", "参数"),
    "history.reuse": ("Reuse these settings", "复用这些设置"),
    "history.delete": ("Delete entry", "删除记录"),
    "history.deleted": ("Deleted the entry.", "已删除该记录。"),
    "history.need_pick": ("Pick an entry first.", "请先选择一条记录。"),
    "col.when": ("When", "时间"),
    "col.voice": ("Voice", "声音"),
    "col.emotion": ("Emotion", "情感"),
    "col.timing": ("Timing", "时长"),
    "col.seconds": ("Seconds", "秒数"),
}

STRINGS.update(DUB_STRINGS)
STRINGS.update(MARKET_STRINGS)


def t(key: str, lang: str = "en", **values: Any) -> str:
    """The string for `key` in `lang` ("en" or "zh"), with `values` filled in."""
    en, zh = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


@dataclass(frozen=True)
class T:
    """Marks a component property as a translated string: `label=T("speak.text")`."""

    key: str


class Translator:
    """Makes components whose `T(...)` properties follow the language switch."""

    def __init__(self) -> None:
        self._bound: list[tuple[gr.blocks.Block, dict[str, Any]]] = []

    def make(self, cls: Callable[..., C], **props: Any) -> C:
        """`cls(**props)` in English, remembered so `updates` can send its text in another language.
        `choices` may pair `T` labels with values: `choices=[(T("lang.auto"), "auto"), ...]`."""
        translated = {name: value for name, value in props.items() if _is_translated(value)}
        component = cls(**{**props, **_resolve(translated, "en")})
        if translated:
            self._bound.append((component, translated))
        return component

    @property
    def components(self) -> list[gr.blocks.Block]:
        return [component for component, _ in self._bound]

    def updates(self, lang: str) -> list[dict[str, Any]]:
        """One update per component in `components`, its translated properties in `lang`."""
        return [gr.update(**_resolve(props, lang)) for _, props in self._bound]


def _is_translated(value: Any) -> bool:
    return isinstance(value, T) or (isinstance(value, list) and any(isinstance(c, tuple) and isinstance(c[0], T)
                                                                    for c in value))


def _resolve(props: dict[str, Any], lang: str) -> dict[str, Any]:
    return {name: t(value.key, lang) if isinstance(value, T) else
            [(t(label.key, lang), v) if isinstance(label, T) else (label, v) for label, v in value]
            for name, value in props.items()}
