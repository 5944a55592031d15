"""Draw the demo agency's pictures: flat SVG illustrations, and the PNG masters the image pipeline reads.

The demo content ships pictures of its own making, never photos fetched from anywhere. Each picture is
drawn here as SVG (shapes and gradients, no text, no external references), written to
`content/images/drawings/`, and rendered once by Debian's Chromium (through Playwright) into the PNG master
beside it in `content/images/`. The site's image pipeline (`public/images.py`) makes every served size and
format from those masters; this script is only for whoever redraws the demo pictures:

    .venv/bin/python tools/draw_demo_art.py            # rewrite the SVGs and the PNG masters

The logo (`content/images/logo.svg`) is served as SVG as it is, and needs no master.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "content" / "images"
DRAWINGS = IMAGES / "drawings"
CHROMIUM = "/usr/bin/chromium"

TEAL = "#1d4e6b"
TEAL_DARK = "#143a50"
RUST = "#b3471d"
WHEAT = "#e2b74f"
WHEAT_DARK = "#c4912c"
CREAM = "#f7f1e3"
HILLS = ("#a9c384", "#86a964", "#6a8f4e", "#4f7340")


def svg(width: int, height: int, body: str, defs: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<defs>{defs}</defs>{body}</svg>\n"
    )


def gradient(gid: str, top: str, bottom: str, *, x2: int = 0, y2: int = 1) -> str:
    return (
        f'<linearGradient id="{gid}" x1="0" y1="0" x2="{x2}" y2="{y2}">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/></linearGradient>'
    )


def hill(width: int, base: float, amplitude: float, phase: float, color: str, height: int, waves: float = 1.6) -> str:
    points = []
    steps = 48
    for i in range(steps + 1):
        x = width * i / steps
        y = (
            base
            - amplitude * math.sin(phase + waves * math.pi * i / steps)
            - amplitude * 0.35 * math.sin(phase * 1.7 + 3.1 * math.pi * i / steps)
        )
        points.append(f"{x:.1f},{y:.1f}")
    return f'<polygon fill="{color}" points="0,{height} {" ".join(points)} {width},{height}"/>'


def grass(width: int, top: float, height: int, seed: int, color: str = WHEAT_DARK, count: int = 140) -> str:
    rnd = random.Random(seed)
    blades = []
    for _ in range(count):
        x = rnd.uniform(0, width)
        y = rnd.uniform(top, height)
        h = rnd.uniform(18, 46) * (0.6 + (y - top) / max(1.0, height - top))
        lean = rnd.uniform(-10, 10)
        blades.append(
            f'<path d="M{x:.1f},{y:.1f} q{lean / 2:.1f},{-h / 2:.1f} {lean:.1f},{-h:.1f}" '
            f'stroke="{color}" stroke-width="3" stroke-linecap="round" fill="none"/>'
        )
    return "".join(blades)


def tree(x: float, y: float, scale: float = 1.0, leaf: str = "#4f7340") -> str:
    trunk_w, trunk_h = 10 * scale, 46 * scale
    return (
        f'<rect x="{x - trunk_w / 2:.1f}" y="{y - trunk_h:.1f}" width="{trunk_w:.1f}" height="{trunk_h:.1f}" '
        f'fill="#6b4f35"/>'
        f'<circle cx="{x:.1f}" cy="{y - trunk_h - 22 * scale:.1f}" r="{34 * scale:.1f}" fill="{leaf}"/>'
        f'<circle cx="{x - 22 * scale:.1f}" cy="{y - trunk_h - 4 * scale:.1f}" r="{24 * scale:.1f}" fill="{leaf}"/>'
        f'<circle cx="{x + 22 * scale:.1f}" cy="{y - trunk_h - 6 * scale:.1f}" r="{26 * scale:.1f}" fill="{leaf}"/>'
    )


def windows(x: float, y: float, cols: int, rows: int, w: float, h: float, gap: float, color: str = "#bfdbe8") -> str:
    out = []
    for r in range(rows):
        for c in range(cols):
            wx, wy = x + c * (w + gap), y + r * (h + gap)
            out.append(f'<rect x="{wx:.1f}" y="{wy:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="{color}"/>')
            out.append(
                f'<rect x="{wx:.1f}" y="{wy:.1f}" width="{w:.1f}" height="{h * 0.35:.1f}" rx="3" fill="#ffffff" '
                f'opacity="0.35"/>'
            )
    return "".join(out)


def car(x: float, y: float, color: str) -> str:
    return (
        f'<rect x="{x}" y="{y - 34}" width="120" height="30" rx="12" fill="{color}"/>'
        f'<path d="M{x + 22},{y - 34} l16,-22 h48 l18,22 z" fill="{color}"/>'
        f'<path d="M{x + 32},{y - 36} l10,-15 h16 v15 z M{x + 64},{y - 36} v-15 h18 l11,15 z" fill="#dcecf3"/>'
        f'<circle cx="{x + 28}" cy="{y - 4}" r="12" fill="#22282e"/><circle cx="{x + 28}" cy="{y - 4}" r="5" '
        f'fill="#9aa5ad"/>'
        f'<circle cx="{x + 94}" cy="{y - 4}" r="12" fill="#22282e"/><circle cx="{x + 94}" cy="{y - 4}" r="5" '
        f'fill="#9aa5ad"/>'
    )


def sun(cx: float, cy: float, r: float, color: str = "#f6c453") -> str:
    return (
        f'<circle cx="{cx}" cy="{cy}" r="{r * 1.8:.1f}" fill="{color}" opacity="0.18"/>'
        f'<circle cx="{cx}" cy="{cy}" r="{r * 1.35:.1f}" fill="{color}" opacity="0.3"/>'
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{color}"/>'
    )


def cloud(x: float, y: float, s: float = 1.0) -> str:
    return (
        f'<g fill="#ffffff" opacity="0.85"><ellipse cx="{x}" cy="{y}" rx="{70 * s:.1f}" ry="{22 * s:.1f}"/>'
        f'<circle cx="{x - 22 * s:.1f}" cy="{y - 14 * s:.1f}" r="{24 * s:.1f}"/>'
        f'<circle cx="{x + 18 * s:.1f}" cy="{y - 20 * s:.1f}" r="{30 * s:.1f}"/></g>'
    )


# -- the pictures ------------------------------------------------------------------------------------------


def hero() -> str:
    w, h = 1600, 900
    defs = gradient("sky", "#f9e7c4", "#f3c98b") + gradient("road", "#8d8a82", "#5f5d57")
    body = [f'<rect width="{w}" height="{h}" fill="url(#sky)"/>', sun(1230, 300, 92)]
    body += [cloud(300, 170, 1.3), cloud(760, 120, 0.9), cloud(1420, 200, 0.8)]
    body.append(hill(w, 560, 40, 0.4, HILLS[0], h, 1.2))
    # A small town on the horizon: grain elevator, water tower, the agency's office with a teal roof.
    town = [
        '<g fill="#7e8b8f">',
        '<rect x="180" y="420" width="46" height="140"/><rect x="230" y="450" width="40" height="110"/>',
        '<polygon points="176,420 203,392 230,420"/><rect x="196" y="366" width="14" height="30"/>',
        '<rect x="1010" y="440" width="8" height="120"/><rect x="1060" y="440" width="8" height="120"/>',
        '<ellipse cx="1039" cy="432" rx="44" ry="30"/>',
        '<rect x="420" y="480" width="120" height="80"/><rect x="560" y="460" width="90" height="100"/>',
        '<rect x="1120" y="490" width="150" height="70"/>',
        "</g>",
        f'<rect x="700" y="455" width="230" height="105" fill="{CREAM}"/>',
        f'<polygon points="686,458 815,400 944,458" fill="{TEAL}"/>',
        windows(722, 478, 4, 1, 34, 34, 16),
        f'<rect x="792" y="512" width="46" height="48" fill="{TEAL_DARK}"/>',
        f'<rect x="760" y="425" width="110" height="20" rx="4" fill="{RUST}"/>',
    ]
    body += town
    body.append(hill(w, 640, 55, 2.2, HILLS[1], h, 1.4))
    body.append(f'<path d="M760,{h} C790,760 830,700 815,560 L835,560 C880,700 980,780 1060,{h} Z" fill="url(#road)"/>')
    body.append(hill(w, 740, 60, 4.0, HILLS[2], h, 1.8))
    body.append(
        f'<path d="M870,{h} C880,820 860,760 838,700 L846,700 C890,770 930,830 980,{h} Z" fill="#6e6b64" opacity="0.6"/>'
    )
    body.append(hill(w, 830, 40, 1.0, HILLS[3], h, 2.2))
    body.append(grass(w, 780, h, 7, WHEAT, 180))
    body.append(grass(w, 820, h, 11, WHEAT_DARK, 160))
    body += [tree(120, 700, 1.3), tree(1480, 720, 1.5, "#3f6134"), tree(1370, 700, 1.0)]
    return svg(w, h, "".join(body), defs)


def office_willow() -> str:
    w, h = 1600, 1000
    defs = gradient("sky", "#d7ecf5", "#f4f9fb") + gradient("wall", "#fbf7ee", "#ece3d2")
    body = [f'<rect width="{w}" height="{h}" fill="url(#sky)"/>', cloud(260, 160, 1.4), cloud(1250, 120, 1.1)]
    body.append(hill(w, 640, 30, 1.0, HILLS[0], h, 1.0))
    body.append(f'<rect x="0" y="780" width="{w}" height="220" fill="#8f8c85"/>')
    body.append(f'<rect x="0" y="770" width="{w}" height="14" fill="#c9c4b8"/>')
    for x in range(40, w, 180):
        body.append(f'<rect x="{x}" y="880" width="90" height="10" fill="#f2f0ea"/>')
    body += [tree(150, 780, 1.8), tree(1460, 780, 2.0, "#3f6134")]
    # The single-storey office, a teal roof line and a rust awning over the door.
    body += [
        '<rect x="330" y="470" width="940" height="310" fill="url(#wall)"/>',
        f'<rect x="310" y="440" width="980" height="42" fill="{TEAL}"/>',
        f'<rect x="310" y="476" width="980" height="10" fill="{TEAL_DARK}"/>',
        windows(380, 540, 3, 1, 120, 150, 34),
        windows(990, 540, 2, 1, 110, 150, 30),
        '<rect x="740" y="560" width="140" height="220" fill="#9fc4d4"/>',
        '<rect x="806" y="560" width="8" height="220" fill="#e8eef0"/>',
        f'<path d="M710,548 h200 l-20,-42 h-160 z" fill="{RUST}"/>',
        f'<rect x="650" y="372" width="300" height="58" rx="8" fill="{TEAL_DARK}"/>',
        f'<circle cx="690" cy="401" r="16" fill="{WHEAT}"/>',
        '<rect x="718" y="392" width="200" height="8" rx="4" fill="#ffffff"/>',
        '<rect x="718" y="406" width="140" height="6" rx="3" fill="#ffffff" opacity="0.7"/>',
        # The step-free entrance and two accessible bays.
        '<rect x="720" y="776" width="180" height="10" fill="#b9b3a6"/>',
        '<rect x="1010" y="830" width="120" height="8" fill="#2f6fa3"/>',
        '<rect x="1160" y="830" width="120" height="8" fill="#2f6fa3"/>',
        car(420, 870, RUST),
        car(1050, 870, "#2f6fa3"),
    ]
    body.append('<g fill="#6a8f4e">' + "".join(f'<circle cx="{x}" cy="770" r="22"/>' for x in range(350, 720, 44)))
    body.append("".join(f'<circle cx="{x}" cy="770" r="22"/>' for x in range(930, 1270, 44)) + "</g>")
    return svg(w, h, "".join(body), defs)


def office_elmwood() -> str:
    w, h = 1600, 1000
    defs = gradient("sky", "#f8e4cf", "#fdf4ea") + gradient("brick", "#b86a4b", "#9a5239")
    body = [f'<rect width="{w}" height="{h}" fill="url(#sky)"/>', sun(1320, 230, 70, "#f4b860"), cloud(330, 150, 1.2)]
    body.append(hill(w, 620, 25, 2.0, HILLS[0], h, 1.0))
    body.append(f'<rect x="0" y="800" width="{w}" height="200" fill="#8f8c85"/>')
    body.append(f'<rect x="0" y="790" width="{w}" height="14" fill="#c9c4b8"/>')
    body += [
        '<rect x="360" y="300" width="880" height="500" fill="url(#brick)"/>',
        '<rect x="340" y="282" width="920" height="28" fill="#5b3526"/>',
        windows(410, 350, 6, 2, 98, 110, 32, "#cfe3ec"),
        '<rect x="360" y="620" width="880" height="16" fill="#5b3526" opacity="0.5"/>',
        '<rect x="720" y="650" width="160" height="150" fill="#cfe3ec"/>',
        '<rect x="797" y="650" width="6" height="150" fill="#eef3f5"/>',
        f'<rect x="690" y="630" width="220" height="22" fill="{TEAL}"/>',
        # The ramp to the automatic door, with its handrail.
        '<polygon points="880,800 1110,800 1110,786 880,786" fill="#c7c1b5"/>',
        '<path d="M880,760 L1110,775" stroke="#4a5866" stroke-width="6" stroke-linecap="round"/>',
        f'<rect x="1000" y="560" width="180" height="50" rx="25" fill="{TEAL_DARK}"/>',
        # A headset on the sign: the customer care team works here.
        f'<path d="M1036,592 a24,24 0 0 1 48,0" stroke="{WHEAT}" stroke-width="7" fill="none"/>',
        f'<rect x="1028" y="588" width="12" height="16" rx="4" fill="{WHEAT}"/>',
        f'<rect x="1080" y="588" width="12" height="16" rx="4" fill="{WHEAT}"/>',
        '<rect x="1104" y="576" width="60" height="8" rx="4" fill="#ffffff"/>',
        '<rect x="1104" y="590" width="40" height="6" rx="3" fill="#ffffff" opacity="0.7"/>',
        tree(220, 800, 1.9),
        tree(1420, 800, 1.7, "#3f6134"),
        car(230, 905, TEAL),
    ]
    return svg(w, h, "".join(body), defs)


def cover(kind: str) -> str:
    w, h = 1600, 900
    backgrounds = {
        "social": ("#dceef4", "#f6fbfc"),
        "privacy": ("#e8e4f3", "#f8f6fc"),
        "email": ("#fbecd9", "#fff8ef"),
        "search": ("#e1efdc", "#f7fbf5"),
        "measure": ("#f3e1dc", "#fcf6f4"),
    }
    top, bottom = backgrounds[kind]
    defs = gradient("bg", top, bottom, x2=1, y2=1)
    body = [f'<rect width="{w}" height="{h}" fill="url(#bg)"/>']
    rnd = random.Random(kind)
    for _ in range(18):
        x, y, r = rnd.uniform(0, w), rnd.uniform(0, h), rnd.uniform(8, 26)
        body.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r:.0f}" fill="{TEAL}" opacity="0.07"/>')
    if kind == "social":
        body += [
            f'<rect x="610" y="120" width="380" height="680" rx="48" fill="{TEAL_DARK}"/>',
            '<rect x="634" y="170" width="332" height="570" rx="14" fill="#ffffff"/>',
            f'<rect x="664" y="200" width="272" height="120" rx="12" fill="{TEAL}" opacity="0.15"/>',
            f'<path d="M780,232 h40 v26 h26 v40 h-26 v26 h-40 v-26 h-26 v-40 h26 z" fill="{RUST}" '
            'transform="translate(0,-12) scale(1)"/>',
            '<rect x="664" y="346" width="220" height="16" rx="8" fill="#c8d3da"/>',
            '<rect x="664" y="376" width="180" height="16" rx="8" fill="#c8d3da"/>',
            f'<rect x="664" y="430" width="272" height="110" rx="16" fill="{WHEAT}" opacity="0.35"/>',
            '<rect x="664" y="570" width="272" height="110" rx="16" fill="#dceef4"/>',
            f'<path d="M1040,260 h300 a30,30 0 0 1 30,30 v110 a30,30 0 0 1 -30,30 h-220 l-50,40 v-40 h-30 '
            f'a30,30 0 0 1 -30,-30 v-110 a30,30 0 0 1 30,-30 z" fill="{RUST}"/>',
            '<rect x="1080" y="310" width="230" height="16" rx="8" fill="#ffffff"/>',
            '<rect x="1080" y="348" width="160" height="16" rx="8" fill="#ffffff" opacity="0.8"/>',
            f'<path d="M260,480 h300 a30,30 0 0 1 30,30 v110 a30,30 0 0 1 -30,30 h-30 v40 l-50,-40 h-220 '
            f'a30,30 0 0 1 -30,-30 v-110 a30,30 0 0 1 30,-30 z" fill="{TEAL}"/>',
            '<rect x="290" y="530" width="230" height="16" rx="8" fill="#ffffff"/>',
            '<rect x="290" y="568" width="170" height="16" rx="8" fill="#ffffff" opacity="0.8"/>',
        ]
    elif kind == "privacy":
        body += [
            f'<path d="M800,130 l280,100 v200 c0,180 -120,300 -280,360 c-160,-60 -280,-180 -280,-360 v-200 z" '
            f'fill="{TEAL}"/>',
            '<path d="M800,180 l230,82 v168 c0,150 -98,250 -230,302 z" fill="#ffffff" opacity="0.14"/>',
            f'<rect x="700" y="430" width="200" height="160" rx="20" fill="{WHEAT}"/>',
            f'<path d="M740,430 v-50 a60,60 0 0 1 120,0 v50" stroke="{WHEAT}" stroke-width="26" fill="none"/>',
            f'<circle cx="800" cy="495" r="22" fill="{TEAL_DARK}"/><rect x="791" y="505" width="18" height="44" '
            f'rx="6" fill="{TEAL_DARK}"/>',
            '<rect x="250" y="300" width="190" height="330" rx="30" fill="#ffffff"/>',
            '<rect x="272" y="340" width="146" height="230" rx="8" fill="#e8e4f3"/>',
            '<circle cx="345" cy="420" r="40" fill="#c9c0e2"/>',
            '<rect x="1170" y="300" width="190" height="330" rx="30" fill="#ffffff"/>',
            '<rect x="1192" y="340" width="146" height="230" rx="8" fill="#e8e4f3"/>',
            f'<path d="M1220,430 l30,30 l60,-70" stroke="{RUST}" stroke-width="16" fill="none" '
            'stroke-linecap="round" stroke-linejoin="round"/>',
        ]
    elif kind == "email":
        body += [
            f'<rect x="420" y="260" width="760" height="480" rx="30" fill="{TEAL}"/>',
            f'<path d="M420,290 l380,270 l380,-270" stroke="{TEAL_DARK}" stroke-width="24" fill="none"/>',
            '<rect x="520" y="130" width="560" height="360" rx="18" fill="#ffffff"/>',
            f'<path d="M420,740 l300,-220 M1180,740 l-300,-220" stroke="{TEAL_DARK}" stroke-width="14"/>',
            f'<path d="M420,290 l380,270 l380,-270 v450 h-760 z" fill="{TEAL}"/>',
            f'<path d="M420,290 l380,270 l380,-270" stroke="{TEAL_DARK}" stroke-width="20" fill="none" '
            'stroke-linejoin="round"/>',
        ]
        for i, done in enumerate((True, True, False)):
            y = 180 + i * 90
            mark = (
                f'<path d="M574,{y + 22} l18,18 l34,-40" stroke="#1e6b3a" stroke-width="12" fill="none" '
                'stroke-linecap="round"/>'
                if done
                else ""
            )
            body.append(f'<rect x="560" y="{y}" width="56" height="56" rx="10" fill="#eef3f5"/>{mark}')
            body.append(f'<rect x="650" y="{y + 20}" width="{360 - i * 60}" height="18" rx="9" fill="#c8d3da"/>')
        body.append(f'<circle cx="1180" cy="260" r="70" fill="{RUST}"/>')
        body.append('<rect x="1170" y="222" width="20" height="50" rx="8" fill="#ffffff"/>')
        body.append('<circle cx="1180" cy="296" r="11" fill="#ffffff"/>')
    elif kind == "search":
        for i in range(0, w, 120):
            body.append(f'<path d="M{i},0 V{h}" stroke="#b9d3ae" stroke-width="4"/>')
        for j in range(0, h, 120):
            body.append(f'<path d="M0,{j} H{w}" stroke="#b9d3ae" stroke-width="4"/>')
        body += [
            f'<path d="M0,620 C400,560 600,720 1000,600 S1400,500 1600,540" stroke="{WHEAT}" stroke-width="40" '
            'fill="none"/>',
            '<path d="M520,0 C560,300 480,600 560,900" stroke="#ffffff" stroke-width="34" fill="none"/>',
            f'<rect x="880" y="220" width="240" height="160" rx="12" fill="{HILLS[1]}"/>',
            f'<rect x="240" y="180" width="180" height="180" rx="12" fill="{HILLS[0]}"/>',
            f'<path d="M800,640 c-110,-130 -170,-220 -170,-300 a170,170 0 0 1 340,0 c0,80 -60,170 -170,300 z" '
            f'fill="{RUST}"/>',
            '<circle cx="800" cy="340" r="70" fill="#ffffff"/>',
            f'<ellipse cx="800" cy="660" rx="90" ry="22" fill="{TEAL_DARK}" opacity="0.25"/>',
            f'<g transform="translate(1160,560)"><circle r="110" fill="none" stroke="{TEAL}" stroke-width="30"/>'
            f'<path d="M78,78 l90,90" stroke="{TEAL}" stroke-width="40" stroke-linecap="round"/></g>',
        ]
    elif kind == "measure":
        body += [
            '<rect x="260" y="140" width="1080" height="640" rx="26" fill="#ffffff"/>',
            f'<rect x="260" y="140" width="1080" height="70" rx="26" fill="{TEAL_DARK}"/>',
            f'<rect x="260" y="180" width="1080" height="30" fill="{TEAL_DARK}"/>',
            '<circle cx="310" cy="175" r="12" fill="#f3e1dc"/><circle cx="350" cy="175" r="12" fill="#f3e1dc"/>',
            '<rect x="330" y="260" width="420" height="22" rx="11" fill="#c8d3da"/>',
            '<rect x="330" y="300" width="340" height="22" rx="11" fill="#c8d3da"/>',
            '<rect x="330" y="340" width="380" height="22" rx="11" fill="#c8d3da"/>',
        ]
        for i, (yes, no) in enumerate(((220, 60), (260, 80), (180, 40), (300, 50))):
            x = 860 + i * 110
            body.append(f'<rect x="{x}" y="{700 - yes}" width="40" height="{yes}" rx="6" fill="#1e6b3a"/>')
            body.append(f'<rect x="{x + 44}" y="{700 - no}" width="40" height="{no}" rx="6" fill="{RUST}"/>')
        body += [
            '<path d="M840,700 H1300" stroke="#4a5866" stroke-width="6"/>',
            f'<g transform="translate(420,540)"><circle r="90" fill="{WHEAT}"/>'
            f'<path d="M-30,30 v-60 h20 l30,-40 a14,14 0 0 1 24,10 l-8,30 h40 a16,16 0 0 1 14,20 l-14,50 '
            f'a16,16 0 0 1 -16,12 h-70 z" fill="{TEAL_DARK}"/></g>',
        ]
    return svg(w, h, "".join(body), defs)


PEOPLE = {
    # name: (background, skin, hair, shirt, hair style)
    "jordan-ellis": ("#dceef4", "#e7b48f", "#3b2a20", TEAL, "short"),
    "maria-santos": ("#fbecd9", "#c68a62", "#1f1a17", RUST, "long"),
    "sam-whitehorse": ("#e1efdc", "#a9704d", "#141414", "#46683a", "tied"),
    "priya-raman": ("#e8e4f3", "#b9825e", "#2a1c16", "#5b4a9b", "bob"),
}


def portrait(name: str) -> str:
    w = h = 800
    bg, skin, hair, shirt, style = PEOPLE[name]
    body = [
        f'<rect width="{w}" height="{h}" fill="{bg}"/>',
        '<circle cx="400" cy="400" r="330" fill="#ffffff" opacity="0.5"/>',
    ]
    if style == "long":
        body.append(f'<path d="M250,330 c0,-150 300,-150 300,0 v260 h-300 z" fill="{hair}"/>')
    if style == "bob":
        body.append(
            f'<path d="M240,340 c0,-170 320,-170 320,0 v120 c0,20 -20,30 -40,30 h-240 c-20,0 -40,-10 -40,-30 z" fill="{hair}"/>'
        )
    body += [
        f'<path d="M160,800 c0,-170 110,-250 240,-250 s240,80 240,250 z" fill="{shirt}"/>',
        f'<path d="M350,520 h100 v60 c0,30 -100,30 -100,0 z" fill="{skin}"/>',
        '<path d="M360,560 l40,60 l40,-60" fill="#ffffff" opacity="0.9"/>',
        f'<ellipse cx="400" cy="380" rx="118" ry="140" fill="{skin}"/>',
        f'<ellipse cx="284" cy="392" rx="18" ry="28" fill="{skin}"/><ellipse cx="516" cy="392" rx="18" ry="28" fill="{skin}"/>',
        '<circle cx="356" cy="378" r="10" fill="#2a2320"/><circle cx="444" cy="378" r="10" fill="#2a2320"/>',
        f'<path d="M330,348 q26,-14 52,0 M418,348 q26,-14 52,0" stroke="{hair}" stroke-width="8" fill="none" '
        'stroke-linecap="round"/>',
        '<path d="M362,448 q38,30 76,0" stroke="#7a3b2e" stroke-width="9" fill="none" stroke-linecap="round"/>',
        '<ellipse cx="326" cy="428" rx="20" ry="11" fill="#e0806a" opacity="0.35"/>',
        '<ellipse cx="474" cy="428" rx="20" ry="11" fill="#e0806a" opacity="0.35"/>',
    ]
    if style == "short":
        body.append(
            f'<path d="M280,350 c-10,-150 250,-170 242,-10 c-30,-50 -80,-70 -130,-64 c-50,6 -90,30 -112,74 z" fill="{hair}"/>'
        )
    elif style == "long":
        body.append(
            f'<path d="M282,360 c-8,-160 244,-170 236,0 c-40,-40 -90,-80 -130,-80 c-30,20 -70,50 -106,80 z" fill="{hair}"/>'
        )
    elif style == "tied":
        body.append(
            f'<path d="M282,350 c-6,-150 242,-160 236,0 c-20,-50 -70,-72 -118,-72 s-98,22 -118,72 z" fill="{hair}"/>'
        )
        body.append(f'<circle cx="400" cy="222" r="40" fill="{hair}"/>')
    elif style == "bob":
        body.append(
            f'<path d="M282,360 c-4,-150 240,-160 236,-4 c-50,-10 -110,-50 -140,-90 c-20,50 -60,80 -96,94 z" fill="{hair}"/>'
        )
    return svg(w, h, "".join(body))


def logo() -> str:
    """The agency's mark: a wheat-gold sun rising over two prairie hills, in a teal tile."""
    body = (
        f'<rect width="64" height="64" rx="14" fill="{TEAL}"/>'
        f'<circle cx="32" cy="34" r="13" fill="{WHEAT}"/>'
        '<path d="M32,12 v5 M17,19 l3.5,3.5 M47,19 l-3.5,3.5 M11,34 h5 M48,34 h5" '
        f'stroke="{WHEAT}" stroke-width="3" stroke-linecap="round"/>'
        f'<path d="M0,44 C14,36 26,38 36,44 S56,50 64,42 V50 A14,14 0 0 1 50,64 H14 A14,14 0 0 1 0,50 Z" '
        f'fill="#86a964"/>'
        f'<path d="M0,52 C18,44 36,48 64,54 A14,14 0 0 1 50,64 H14 A14,14 0 0 1 0,50 Z" fill="#4f7340"/>'
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" role="img" '
        f'aria-label="Prairie Point Agency">{body}</svg>\n'
    )


PICTURES = {
    "hero": hero,
    "office-willow": office_willow,
    "office-elmwood": office_elmwood,
    "cover-social": lambda: cover("social"),
    "cover-privacy": lambda: cover("privacy"),
    "cover-email": lambda: cover("email"),
    "cover-search": lambda: cover("search"),
    "cover-measure": lambda: cover("measure"),
    **{f"team-{name}": (lambda n=name: portrait(n)) for name in PEOPLE},
}


def main() -> None:
    from playwright.sync_api import sync_playwright

    DRAWINGS.mkdir(parents=True, exist_ok=True)
    (IMAGES / "logo.svg").write_text(logo())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for name, draw in PICTURES.items():
            text = draw()
            source = DRAWINGS / f"{name}.svg"
            source.write_text(text)
            width, height = (int(v) for v in text.split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split())
            page.set_viewport_size({"width": width, "height": height})
            page.set_content(f'<body style="margin:0">{text}</body>')
            page.screenshot(path=str(IMAGES / f"{name}.png"), clip={"x": 0, "y": 0, "width": width, "height": height})
            print(f"{source.relative_to(ROOT)} -> content/images/{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
