"""Legacy encoders for tests, written independently of records/text.py.

TCVN3 as the byte of each letter; VNI as the keystroke marks. The bytes are read back as
Windows-1252, which is what Excel stores for text typed in a .Vn or VNI- font.
"""

from __future__ import annotations

import unicodedata

from records.text import nfc

LETTERS = "àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵ"
TCVN3_BYTES = bytes.fromhex(
    "b5b6b7b8b9"  # à ả ã á ạ
    "a8bbbcbdbec6"  # ă ằ ẳ ẵ ắ ặ
    "a9c7c8c9cacb"  # â ầ ẩ ẫ ấ ậ
    "ae"  # đ
    "cccecfd0d1"  # è ẻ ẽ é ẹ
    "aad2d3d4d5d6"  # ê ề ể ễ ế ệ
    "d7d8dcddde"  # ì ỉ ĩ í ị
    "dfe1e2e3e4"  # ò ỏ õ ó ọ
    "abe5e6e7e8e9"  # ô ồ ổ ỗ ố ộ
    "aceaebecedee"  # ơ ờ ở ỡ ớ ợ
    "eff1f2f3f4"  # ù ủ ũ ú ụ
    "adf5f6f7f8f9"  # ư ừ ử ữ ứ ự
    "fafbfcfdfe"  # ỳ ỷ ỹ ý ỵ
)
TCVN3 = dict(zip(LETTERS, TCVN3_BYTES, strict=True)) | dict(
    zip("ĂÂÊÔƠƯĐ", bytes.fromhex("a1a2a3a4a5a6a7"), strict=True)
)


def tcvn3(text: str) -> str:
    """Encode as TCVN3 (capitals with tones exist only in the .VnTimeH font: same bytes as the
    small letters) and read the bytes back as Windows-1252."""
    raw = bytes(TCVN3.get(c, TCVN3.get(c.lower(), ord(c))) for c in nfc(text))
    return raw.decode("cp1252")


VNI_TONES = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
VNI_HAT = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
VNI_I = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _vni_letter(c: str) -> str:
    upper, low = c.isupper(), c.lower()
    if low == "đ":
        out = "ñ"
    else:
        base, *marks = list(unicodedata.normalize("NFD", low))
        tone = next((m for m in marks if m in VNI_TONES), "")
        if base == "i":
            out = VNI_I[tone]
        elif base == "y" and tone == "\u0323":
            out = "î"
        elif "\u031b" in marks:  # horn: ơ = ô, ư = ö, then the tone
            out = {"o": "ô", "u": "ö"}[base] + VNI_TONES.get(tone, "")
        elif "\u0302" in marks:
            out = base + VNI_HAT[tone]
        elif "\u0306" in marks:
            out = base + VNI_BREVE[tone]
        else:
            out = base + VNI_TONES.get(tone, "")
    return out.upper() if upper else out


def vni(text: str) -> str:
    return "".join(c if c.isascii() else _vni_letter(c) for c in nfc(text))
