"""The JSON shapes of a JianYing (剪映) 5.9 draft, one builder per object, with where each field comes from.

JianYing publishes no format documentation. Every object here copies the field set that pyJianYingDraft
(``GuanYixuan/pyJianYingDraft``, tested by its author on JianYing Pro 5.9) writes, with the same default values:
``assets/draft_content_template.json`` (the top level), ``local_materials.py`` (video and audio materials),
``segment.py`` / ``video_segment.py`` / ``audio_segment.py`` (segments, the speed material),
``text_segment.py`` (text materials and segments), ``track.py`` (tracks) and ``assets/draft_meta_info.json``.
Fields we set to our own values are only those whose meaning those sources document: ids, names, paths,
durations and time ranges (microseconds), sizes, the text and its size/alignment/position, render order.

Known additions beyond pyJianYingDraft, from reports of real drafts failing:
- ``local_material_id`` is never empty: JianYing 5.9+ links local media by it plus ``path``, and an empty one
  makes it report the media missing (``luoluoluo22/jianying-editor-skill`` PR #23).
- ``draft_meta_info.json`` lists every media file under ``draft_materials`` type 0, the record shape taken from
  ``Vincentwei1021/video-shotcraft`` ``jianying-export/mac_draft.py``; without it macOS JianYing asks to relink.

Ids and times are all passed in: this module decides no values, so a re-export of the same cut is byte-identical.
"""

from __future__ import annotations

import json
from typing import Any

JsonDict = dict[str, Any]

APP_VERSION = "5.9.0"  # last_modified_platform.app_version in pyJianYingDraft's 5.9 template
NEW_VERSION = "110.0.0"  # draft_content "new_version" in the same template
DRAFT_VERSION = 360000  # draft_content "version" in the same template
APP_ID = 3704  # JianYing Pro (China); CapCut International uses another id
PHOTO_DURATION_US = 10_800_000_000  # pyJianYingDraft: a still image counts as a 3-hour material

# Render order bases per track kind (pyJianYingDraft track.py Track_type): larger is nearer the viewer.
RENDER_INDEX = {"video": 0, "audio": 0, "text": 14000}

# Where JianYing itself puts imported subtitles (pyJianYingDraft import_srt): centred, size 5, 80% of the
# half-height below the centre.
SUBTITLE_SIZE = 5.0
SUBTITLE_ALIGN_CENTER = 1
SUBTITLE_TRANSFORM_Y = -0.8


def timerange(start_us: int, duration_us: int) -> JsonDict:
    return {"duration": duration_us, "start": start_us}


def draft_content(*, draft_id: str, name: str, fps: int, duration_us: int, width: int, height: int,
                  os_name: str, maintrack_adsorb: bool, materials: JsonDict, tracks: list[JsonDict]) -> JsonDict:
    """The top level of ``draft_content.json`` (pyJianYingDraft's template, filled in as its ``dumps`` does)."""
    keyframes = {k: [] for k in ("adjusts", "audios", "effects", "filters", "handwrites", "stickers", "texts",
                                 "videos")}
    return {
        "canvas_config": {"height": height, "ratio": "original", "width": width},
        "color_space": 0,
        "config": {
            "adjust_max_index": 1, "attachment_info": [], "combination_max_index": 1, "export_range": None,
            "extract_audio_last_index": 1, "lyrics_recognition_id": "", "lyrics_sync": True,
            "lyrics_taskinfo": [], "maintrack_adsorb": maintrack_adsorb, "material_save_mode": 0,
            "multi_language_current": "none", "multi_language_list": [], "multi_language_main": "none",
            "multi_language_mode": "none", "original_sound_last_index": 1, "record_audio_last_index": 1,
            "sticker_max_index": 1, "subtitle_keywords_config": None, "subtitle_recognition_id": "",
            "subtitle_sync": True, "subtitle_taskinfo": [], "system_font_list": [], "video_mute": False,
            "zoom_info_params": None,
        },
        "cover": None,
        "create_time": 0,
        "duration": duration_us,
        "extra_info": None,
        "fps": float(fps),
        "free_render_index_mode_on": False,
        "group_container": None,
        "id": draft_id,
        "keyframe_graph_list": [],
        "keyframes": keyframes,
        "last_modified_platform": {"app_id": APP_ID, "app_source": "lv", "app_version": APP_VERSION,
                                   "os": os_name},
        "materials": materials,
        "mutable_config": None,
        "name": name,
        "new_version": NEW_VERSION,
        "relationships": [],
        "render_index_track_mode_on": False,
        "retouch_cover": None,
        "source": "default",
        "static_cover_image_path": "",
        "time_marks": None,
        "tracks": tracks,
        "update_time": 0,
        "version": DRAFT_VERSION,
    }


MATERIAL_KINDS = (
    "ai_translates", "audio_balances", "audio_effects", "audio_fades", "audio_track_indexes", "audios", "beats",
    "canvases", "chromas", "color_curves", "digital_humans", "drafts", "effects", "flowers", "green_screens",
    "handwrites", "hsl", "images", "log_color_wheels", "loudnesses", "manual_deformations", "masks",
    "material_animations", "material_colors", "multi_language_refs", "placeholders", "plugin_effects",
    "primary_color_wheels", "realtime_denoises", "shapes", "smart_crops", "smart_relights",
    "sound_channel_mappings", "speeds", "stickers", "tail_leaders", "text_templates", "texts", "time_marks",
    "transitions", "video_effects", "video_trackings", "videos", "vocal_beautifys", "vocal_separations",
)


def materials(**filled: list[JsonDict]) -> JsonDict:
    """Every material list of the template, empty unless given (videos=[...], speeds=[...])."""
    unknown = set(filled) - set(MATERIAL_KINDS)
    if unknown:
        raise ValueError(f"not JianYing material kinds: {sorted(unknown)}")
    return {kind: list(filled.get(kind, [])) for kind in MATERIAL_KINDS}


def video_material(*, material_id: str, name: str, path: str, duration_us: int, width: int, height: int,
                   kind: str = "video") -> JsonDict:
    """A local video (or ``kind="photo"`` still) file (pyJianYingDraft ``Video_material.export_json``)."""
    return {
        "aigc_type": "none", "audio_fade": None, "cartoon_path": "", "category_id": "", "category_name": "local",
        "check_flag": 63487,
        "crop": {"lower_left_x": 0.0, "lower_left_y": 1.0, "lower_right_x": 1.0, "lower_right_y": 1.0,
                 "upper_left_x": 0.0, "upper_left_y": 0.0, "upper_right_x": 1.0, "upper_right_y": 0.0},
        "crop_ratio": "free", "crop_scale": 1.0, "duration": duration_us, "extra_type_option": 0,
        "formula_id": "", "freeze": None, "height": height, "id": material_id, "intensifies_audio_path": "",
        "intensifies_path": "", "is_ai_generate_content": False, "is_copyright": False,
        "is_text_edit_overdub": False, "is_unified_beauty_mode": False, "local_id": "",
        "local_material_id": material_id, "material_id": material_id, "material_name": name,
        "material_url": "",
        "matting": {"flag": 0, "has_use_quick_brush": False, "has_use_quick_eraser": False, "interactiveTime": [],
                    "path": "", "strokes": []},
        "media_path": "", "object_locked": None, "origin_material_id": "", "path": path, "picture_from": "none",
        "picture_set_category_id": "", "picture_set_category_name": "", "request_id": "",
        "reverse_intensifies_path": "", "reverse_path": "", "smart_motion": None, "source": 0,
        "source_platform": 0,
        "stable": {"matrix_path": "", "stable_level": 0, "time_range": timerange(0, 0)},
        "team_id": "", "type": kind,
        "video_algorithm": {"algorithms": [], "complement_frame_config": None, "deflicker": None,
                            "gameplay_configs": [], "motion_blur_config": None, "noise_reduction": None,
                            "path": "", "quality_enhance": None, "time_range": None},
        "width": width,
    }


def audio_material(*, material_id: str, name: str, path: str, duration_us: int) -> JsonDict:
    """A local sound file (pyJianYingDraft ``Audio_material.export_json``; "extract_music" is its type)."""
    return {
        "app_id": 0, "category_id": "", "category_name": "local", "check_flag": 1, "copyright_limit_type": "none",
        "duration": duration_us, "effect_id": "", "formula_id": "", "id": material_id, "intensifies_path": "",
        "is_ai_clone_tone": False, "is_text_edit_overdub": False, "is_ugc": False,
        "local_material_id": material_id, "music_id": material_id, "name": name, "path": path, "query": "",
        "request_id": "", "resource_id": "", "search_id": "", "source_from": "", "source_platform": 0,
        "team_id": "", "text_id": "", "tone_category_id": "", "tone_category_name": "", "tone_effect_id": "",
        "tone_effect_name": "", "tone_platform": "", "tone_second_category_id": "",
        "tone_second_category_name": "", "tone_speaker": "", "tone_type": "", "type": "extract_music",
        "video_id": "", "wave_points": [],
    }


def speed_material(speed_id: str) -> JsonDict:
    """Constant speed 1.0 (pyJianYingDraft ``Speed``); every video and audio segment refers to one."""
    return {"curve_speed": None, "id": speed_id, "mode": 0, "speed": 1.0, "type": "speed"}


def text_material(*, material_id: str, text: str) -> JsonDict:
    """A subtitle line in JianYing's imported-subtitle style (pyJianYingDraft ``Text_segment.export_material``).

    ``content`` is itself JSON in a string; it is written with ``ensure_ascii=False`` so Chinese stays readable
    in the file. ``range`` is the span the style covers, ``[0, len(text)]`` as pyJianYingDraft writes it.
    """
    style = {
        "fill": {"alpha": 1.0, "content": {"render_type": "solid",
                                           "solid": {"alpha": 1.0, "color": [1.0, 1.0, 1.0]}}},
        "range": [0, len(text)],
        "size": SUBTITLE_SIZE, "bold": False, "italic": False, "underline": False, "strokes": [],
    }
    return {
        "add_type": 0, "typesetting": 0, "alignment": SUBTITLE_ALIGN_CENTER, "base_content": "", "bold_width": 0.0,
        "check_flag": 7, "combo_info": {"text_templates": []},
        "content": json.dumps({"styles": [style], "text": text}, ensure_ascii=False),
        "fixed_height": -1.0, "fixed_width": -1.0, "force_apply_line_max_width": False, "group_id": "",
        "id": material_id, "initial_scale": 1.0, "inner_padding": -1.0, "is_rich_text": False, "italic_degree": 0,
        "ktv_color": "", "language": "", "layer_weight": 1, "letter_spacing": 0.0, "line_feed": 1,
        "line_max_width": 0.82, "line_spacing": 0.02, "multi_language_current": "none", "name": "",
        "original_size": [], "preset_category": "", "preset_category_id": "", "preset_has_set_alignment": False,
        "preset_id": "", "preset_index": 0, "preset_name": "", "recognize_task_id": "", "recognize_type": 0,
        "relevance_segment": [], "shape_clip_x": False, "shape_clip_y": False, "source_from": "",
        "style_name": "", "sub_type": 0, "subtitle_keywords": None, "subtitle_template_original_fontsize": 0.0,
        "text_to_audio_ids": [], "tts_auto_update": False, "type": "text", "underline_offset": 0.22,
        "underline_width": 0.05, "use_effect_default_color": True,
        "words": {"end_time": [], "start_time": [], "text": []},
    }


def _clip_settings(transform_y: float = 0.0) -> JsonDict:
    return {"alpha": 1.0, "flip": {"horizontal": False, "vertical": False}, "rotation": 0.0,
            "scale": {"x": 1.0, "y": 1.0}, "transform": {"x": 0.0, "y": transform_y}}


def _segment(*, segment_id: str, material_id: str, target: JsonDict, render_index: int) -> JsonDict:
    """The fields every segment has (pyJianYingDraft ``Base_segment.export_json`` plus the track's render index)."""
    return {
        "caption_info": None, "cartoon": False, "enable_adjust": True, "enable_color_correct_adjust": False,
        "enable_color_curves": True, "enable_color_match_adjust": False, "enable_color_wheels": True,
        "enable_lut": True, "enable_smart_color_adjust": False, "group_id": "", "intensifies_audio": False,
        "is_placeholder": False, "is_tone_modify": False, "last_nonzero_volume": 1.0,
        "responsive_layout": {"enable": False, "horizontal_pos_layout": 0, "size_layout": 0,
                              "target_follow": "", "vertical_pos_layout": 0},
        "reverse": False, "template_id": "", "template_scene": "default", "track_attribute": 0,
        "track_render_index": 0, "visible": True, "id": segment_id, "material_id": material_id,
        "target_timerange": target, "common_keyframes": [], "keyframe_refs": [], "render_index": render_index,
    }


def video_segment(*, segment_id: str, material_id: str, speed_id: str, source: JsonDict,
                  target: JsonDict) -> JsonDict:
    """Part of a video material on a video track, at speed 1 and full volume (its own sound plays)."""
    seg = _segment(segment_id=segment_id, material_id=material_id, target=target,
                   render_index=RENDER_INDEX["video"])
    seg.update({"source_timerange": source, "speed": 1.0, "volume": 1.0, "extra_material_refs": [speed_id],
                "clip": _clip_settings(), "hdr_settings": {"intensity": 1.0, "mode": 1, "nits": 1000},
                "uniform_scale": {"on": True, "value": 1.0}})
    return seg


def audio_segment(*, segment_id: str, material_id: str, speed_id: str, source: JsonDict,
                  target: JsonDict) -> JsonDict:
    seg = _segment(segment_id=segment_id, material_id=material_id, target=target,
                   render_index=RENDER_INDEX["audio"])
    seg.update({"source_timerange": source, "speed": 1.0, "volume": 1.0, "extra_material_refs": [speed_id],
                "clip": None, "hdr_settings": None})
    return seg


def text_segment(*, segment_id: str, material_id: str, target: JsonDict) -> JsonDict:
    seg = _segment(segment_id=segment_id, material_id=material_id, target=target,
                   render_index=RENDER_INDEX["text"])
    seg.update({"source_timerange": None, "speed": 1.0, "volume": 1.0, "extra_material_refs": [],
                "clip": _clip_settings(SUBTITLE_TRANSFORM_Y)})
    return seg


def track(*, track_id: str, kind: str, name: str, segments: list[JsonDict]) -> JsonDict:
    """A track (pyJianYingDraft ``Track.export_json``); ``kind`` is "video", "audio" or "text"."""
    return {"attribute": 0, "flag": 0, "id": track_id, "is_default_name": not name, "name": name,
            "segments": segments, "type": kind}


def meta_material_record(*, record_id: str, name: str, path: str, duration_us: int, width: int, height: int,
                         metetype: str) -> JsonDict:
    """One media file in ``draft_meta_info.json`` ``draft_materials`` type 0, JianYing's media bin
    (video-shotcraft ``mac_draft._material_records``; ``metetype`` is JianYing's spelling: video|photo|music)."""
    return {
        "create_time": 0, "duration": duration_us, "extra_info": name, "file_Path": path, "height": height,
        "id": record_id, "import_time": 0, "import_time_ms": 0, "item_source": 1, "md5": "", "metetype": metetype,
        "roughcut_time_range": timerange(-1, -1), "sub_time_range": timerange(-1, -1), "type": 0,
        "width": width,
    }


def draft_meta_info(*, draft_id: str, name: str, folder: str, root: str, duration_us: int,
                    media: list[JsonDict]) -> JsonDict:
    """``draft_meta_info.json``: pyJianYingDraft's template with the draft's id, name, place and media bin."""
    groups = [{"type": t, "value": media if t == 0 else []} for t in (0, 1, 2, 3, 6, 7, 8)]
    return {
        "cloud_package_completed_time": "", "draft_cloud_capcut_purchase_info": "",
        "draft_cloud_last_action_download": False, "draft_cloud_materials": [], "draft_cloud_purchase_info": "",
        "draft_cloud_template_id": "", "draft_cloud_tutorial_info": "", "draft_cloud_videocut_purchase_info": "",
        "draft_cover": "", "draft_deeplink_url": "",
        "draft_enterprise_info": {"draft_enterprise_extra": "", "draft_enterprise_id": "",
                                  "draft_enterprise_name": "", "enterprise_material": []},
        "draft_fold_path": folder, "draft_id": draft_id, "draft_is_ai_packaging_used": False,
        "draft_is_ai_shorts": False, "draft_is_ai_translate": False, "draft_is_article_video_draft": False,
        "draft_is_from_deeplink": "false", "draft_is_invisible": False, "draft_materials": groups,
        "draft_materials_copied_info": [], "draft_name": name, "draft_new_version": "",
        "draft_removable_storage_device": "", "draft_root_path": root, "draft_segment_extra_info": [],
        "draft_type": "", "tm_draft_cloud_completed": "", "tm_draft_cloud_modified": 0, "tm_draft_removed": 0,
        "tm_duration": duration_us,
    }
