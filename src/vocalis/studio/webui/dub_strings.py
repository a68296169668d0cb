"""The Dub tab's strings (key -> (English, Chinese)), kept beside the rest in i18n.STRINGS."""

DUB_STRINGS: dict[str, tuple[str, str]] = {
    "tab.dub": ("Dub", "配音"),
    "dub.intro": ("Dub a video: upload it and the new lines as subtitles timed to the picture. **Read emotions** "
                  "finds the emotion of the original actor in each cue; edit any cue's *override* (`angry=0.8`, "
                  "`sad`, `neutral` or a description such as `冷冷地`), then **Dub**. The original is turned down "
                  "under each new line and the video stream is copied.",
                  "为视频配音：上传视频和按画面定时的新台词字幕。**读取情感**会找出每条字幕处原演员的情感；可编辑任一条的"
                  "*覆盖*（`angry=0.8`、`sad`、`neutral` 或描述，如 `冷冷地`），然后点 **配音**。新台词处原声会被压低，"
                  "视频流原样复制。"),
    "dub.video": ("Video (mp4, mkv, mov, webm) or audio", "视频（mp4、mkv、mov、webm）或音频"),
    "dub.subs": ("New lines (.srt or .vtt)", "新台词（.srt 或 .vtt）"),
    "dub.voice": ("Voice", "声音"),
    "dub.emotion_from": ("Emotion of each line", "每句的情感"),
    "dub.from.original": ("from the original", "取自原声"),
    "dub.from.none": ("none (the voice's own)", "无（声音本身）"),
    "dub.weight": ("Emotion weight", "情感强度"),
    "dub.keep": ("Keep the original soundtrack as a second audio track", "保留原音轨作为第二音轨"),
    "dub.read": ("Read emotions", "读取情感"),
    "dub.button": ("Dub", "配音"),
    "dub.cancel": ("Cancel", "取消"),
    "dub.cues": ("Cues (edit the override column)", "字幕（可编辑覆盖列）"),
    "dub.result": ("Dubbed video", "配音后的视频"),
    "dub.file": ("Download", "下载"),
    "dub.need_inputs": ("Upload a video and its new lines first.", "请先上传视频和新台词字幕。"),
    "dub.cancelled": ("Dub cancelled: nothing was written.", "已取消配音：未写入任何文件。"),
    "dub.cancelling": ("Cancelling after this cue…", "将在本句后取消……"),
    "dub.done": ("Dubbed {n} cues; emotion kept in {agreed} of {checked}.",
                 "已配音 {n} 句；情感一致 {agreed}/{checked} 句。"),
    "dub.col.cue": ("#", "#"),
    "dub.col.time": ("Time", "时间"),
    "dub.col.text": ("Line", "台词"),
    "dub.col.found": ("Original", "原声情感"),
    "dub.col.override": ("Override", "覆盖"),
    "dub.col.check": ("Check", "核对"),
    "dub.stage.reading": ("Reading the original", "读取原声"),
    "dub.stage.rendering": ("Rendering the lines", "合成台词"),
    "dub.stage.mixing": ("Mixing and muxing", "混音与封装"),
}
