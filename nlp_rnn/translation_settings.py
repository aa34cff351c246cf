"""A translator's decoding settings, written once for the torch component and the exported one.

They are factory arguments (saved in the pipeline's ``config.cfg``, overridable at load time), not
``cfg``: ``beam_size`` (1 = greedy search), ``length_penalty`` (GNMT alpha), ``max_length_ratio``
and ``max_length_offset`` (an output has at most ``ratio * source tokens + offset`` units, and
never more than the model's ``max_target_length``), ``store_attention`` (also write
``doc._.translation_attention``).
"""

from typing import Any, Dict

DECODING_DEFAULTS: Dict[str, Any] = {
    "beam_size": 5,
    "length_penalty": 0.0,
    "max_length_ratio": 2.0,
    "max_length_offset": 10,
    "store_attention": False,
}


def check_decoding(beam_size: int, max_length_ratio: float, max_length_offset: int) -> None:
    """ValueError in one line for a setting out of range."""
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, not {beam_size}")
    if max_length_ratio < 0 or max_length_offset < 0:
        raise ValueError("max_length_ratio and max_length_offset must be >= 0")


def max_output_length(n_source: int, max_length_ratio: float, max_length_offset: int, max_target_length: int) -> int:
    """At most ``ratio * n_source + offset`` units, capped at ``max_target_length``."""
    bound = int(max_length_ratio * n_source + max_length_offset)
    return max(0, min(bound, max_target_length))


class DecodingOptions:
    """The decoding settings as attributes of a translator task (torch or exported), checked once."""

    def set_decoding(self, beam_size: int, length_penalty: float, max_length_ratio: float, max_length_offset: int,
                     store_attention: bool) -> None:
        check_decoding(beam_size, max_length_ratio, max_length_offset)
        self.beam_size = beam_size
        self.length_penalty = length_penalty
        self.max_length_ratio = max_length_ratio
        self.max_length_offset = max_length_offset
        self.store_attention = store_attention

    def output_bound(self, max_target_length: int):
        """n_source → the longest output (at most ``ratio * n_source + offset`` units, capped at the
        model's ``max_target_length``): what the searches take."""
        return lambda n_source: max_output_length(n_source, self.max_length_ratio, self.max_length_offset, max_target_length)
