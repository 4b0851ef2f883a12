"""Named pretrained checkpoints and where each one can be had.

Every entry names exactly one file. ``sha256`` is filled only where a checksum has been published;
otherwise the first download records one in the cache's lock file and every later use (and every
mirror) is checked against it. Weights of these models have changed hosts several times and links
have died, which is why each entry keeps several sources, the manual ones included.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from soundry.errors import CheckpointError

SourceKind = Literal["hf", "url", "page"]


@dataclass(frozen=True)
class Source:
    """One place a checkpoint file can be had.

    ``hf``: a file in a Hugging Face repository (``repo``, ``filename`` inside it, ``revision``
    = commit hash, ``repo_type`` model/dataset/space), downloaded with huggingface_hub. ``url``: a
    direct download. ``page``: a web page (a share link) a person must open to download by hand;
    listed in error messages, never fetched.
    """

    kind: SourceKind
    url: str | None = None
    repo: str | None = None
    filename: str | None = None
    revision: str | None = None
    repo_type: str = "model"
    note: str = ""

    @property
    def pinned(self) -> bool:
        """True when the bytes behind this source cannot change (an hf commit hash)."""
        return self.kind == "hf" and bool(self.revision) and len(self.revision) == 40

    @property
    def automatic(self) -> bool:
        """True when :func:`soundry.hub.fetch` can download from it without a person."""
        return self.kind == "url" or (self.kind == "hf" and bool(self.repo and self.filename))

    def location(self) -> str:
        """A URL a person can open or download."""
        if self.kind != "hf":
            return str(self.url)
        prefix = {"dataset": "datasets/", "space": "spaces/"}.get(self.repo_type, "")
        return f"https://huggingface.co/{prefix}{self.repo}/resolve/{self.revision or 'main'}/{self.filename}"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class Checkpoint:
    """A named checkpoint file: what it is, where to get it, how to recognise it."""

    name: str
    family: str                      # which loader reads it, e.g. "beats"
    description: str
    filename: str                    # its name in the cache folder <cache>/<name>/<filename>
    sources: tuple[Source, ...]
    sha256: str | None = None        # only where published; None: recorded at first download
    size_bytes: int | None = None
    license: str = "unknown"
    checksum_note: str = ""          # where the published sha256 comes from
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["sources"] = [s.to_dict() for s in self.sources]
        return out


# The unilm README's links: Azure blob URLs with read-only SAS tokens that expire 2033-03-02
# (their earlier 2022 tokens were replaced once already), and the OneDrive share pages of an
# older README revision. Neither is versioned: the lock file is what pins their bytes.
_BLOB = ("https://valle.blob.core.windows.net/share/BEATs/{file}?sv=2020-08-04&st=2023-03-01T07%3A51%3A05Z"
         "&se=2033-03-02T07%3A51%3A00Z&sr=c&sp=rl&sig=QJXmSJG9DbMKf48UDIU1MfzIro8HQOf3sqlNXiflY1I%3D")
_UNILM = "https://github.com/microsoft/unilm/tree/master/beats"
_MIT = "MIT (microsoft/unilm)"


def _blob(file: str) -> Source:
    return Source("url", url=_BLOB.format(file=file), note="official Azure blob (not versioned)")


def _onedrive(share: str) -> Source:
    return Source("page", url=f"https://1drv.ms/u/s!{share}", note="official OneDrive share page")


REGISTRY: dict[str, Checkpoint] = {c.name: c for c in (
    Checkpoint(
        name="beats-iter3",
        family="beats",
        description="BEATs iter3, self-supervised on AudioSet-2M (backbone, no head).",
        filename="BEATs_iter3.pt",
        sources=(_blob("BEATs_iter3.pt"), _onedrive("AqeByhGUtINrgcpxJUNDxg4eU0r-vA?e=qezPJ5")),
        license=_MIT,
        notes=(f"code and model card: {_UNILM}",),
    ),
    Checkpoint(
        name="beats-iter3-plus-as2m",
        family="beats",
        description="BEATs iter3+ (AS2M), self-supervised on AudioSet-2M (backbone, no head); "
                    "the usual starting point for fine-tuning.",
        filename="BEATs_iter3_plus_AS2M.pt",
        sources=(
            Source("hf", repo="Bencr/beats-checkpoints", filename="BEATs_iter3_plus_AS2M.pt",
                   revision="082fb1849d55bef1ee52ee8d8910b3adc69d4bc8", repo_type="dataset",
                   note="third-party mirror (beats_trainer), pinned commit"),
            _blob("BEATs_iter3_plus_AS2M.pt"),
            _onedrive("AqeByhGUtINrgcpke6_lRSZEKD5j2Q?e=A3FpOf"),
        ),
        sha256="d43cbfad4d7b56381c061d7a24774f908d4d94c72961f6eb1d9090ff18cd8d34",
        license=_MIT,
        checksum_note="not published by Microsoft; published by two independent third-party "
                      "download scripts, one fetching the OneDrive original and one the pinned "
                      "Hugging Face mirror, which agree",
        notes=(f"code and model card: {_UNILM}",),
    ),
    Checkpoint(
        name="beats-iter3-plus-as2m-cpt1",
        family="beats",
        description="BEATs iter3+ (AS2M) fine-tuned on AudioSet-2M, checkpoint 1: backbone + "
                    "527-class AudioSet head and label_dict.",
        filename="BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt1.pt",
        sources=(_blob("BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt1.pt"),
                 _onedrive("AqeByhGUtINrgcpoZecQbiXeaUjN8A?e=DasbeC")),
        license=_MIT,
        notes=(f"code and model card: {_UNILM}",),
    ),
    Checkpoint(
        name="beats-iter3-plus-as2m-cpt2",
        family="beats",
        description="BEATs iter3+ (AS2M) fine-tuned on AudioSet-2M, checkpoint 2: backbone + "
                    "527-class AudioSet head and label_dict (the one SALMONN uses).",
        filename="BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt",
        sources=(
            _blob("BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt"),
            Source("hf", repo="fffiloni/SALMONN-7B-gradio",
                   filename="beats/BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt",
                   revision="677c0125de736ab92751385e1e8664cd03c2ce0d", repo_type="space",
                   note="third-party mirror inside a demo Space, pinned commit"),
            _onedrive("AqeByhGUtINrgcpj8ujXH1YUtxooEg?e=E9Ncea"),
        ),
        license=_MIT,
        notes=(f"code and model card: {_UNILM}",),
    ),
    Checkpoint(
        name="openbeats-base-i3",
        family="openbeats",
        description="OpenBEATs base, iteration 3 (ESPnet, open-data BEATs reproduction; "
                    "self-contained {'cfg', 'model'} SSL checkpoint).",
        filename="openbeats-base-i3.pt",
        sources=(Source("page", url="https://huggingface.co/shikhar7ssu/OpenBEATs-Base-i3",
                        note="the checkpoint's path inside the repository is not pinned here yet: "
                             "download its epoch_*.pt by hand"),),
        license="see the model card",
        notes=("OpenBEATs collection: https://huggingface.co/collections/shikhar7ssu/openbeats",
               "ESPnet keys may carry an 'encoder.' prefix and cfg keys unknown to BEATs."),
    ),
)}


def list_checkpoints(family: str | None = None) -> list[Checkpoint]:
    """Registry entries (of one ``family`` if given), sorted by name."""
    return sorted((c for c in REGISTRY.values() if family is None or c.family == family),
                  key=lambda c: c.name)


def get_checkpoint(name: str) -> Checkpoint:
    """The entry called ``name``; CheckpointError listing the known names otherwise."""
    entry = REGISTRY.get(name)
    if entry is None:
        raise CheckpointError(f"unknown checkpoint '{name}'; known checkpoints: "
                              f"{', '.join(sorted(REGISTRY))}")
    return entry
