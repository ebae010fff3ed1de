"""Draw Coach Dyno's brand icon: a stopwatch with a heart-rate line on a rounded square."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "coach_dyno" / "brand"

# Three colours: a deep navy tile, a white stopwatch, an orange pulse.
TILE = (27, 42, 74, 255)
WATCH = (255, 255, 255, 255)
PULSE = (255, 107, 53, 255)

# Drawing at 4x and shrinking with a good filter gives smooth edges Pillow cannot draw directly.
SUPERSAMPLE = 4

# The pulse trace in unit coordinates (0..1 across the tile): flat, a small rise, a deep dip, a tall
# spike, back to flat; it stays inside the stopwatch's dial.
PULSE_POINTS = (
    (0.32, 0.60),
    (0.40, 0.60),
    (0.445, 0.51),
    (0.50, 0.72),
    (0.565, 0.43),
    (0.615, 0.60),
    (0.68, 0.60),
)


def draw_icon(size: int) -> Image.Image:
    """Return the icon as a square RGBA image of the given size with a transparent background."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def px(value: float) -> int:
        """Scale a unit coordinate to pixels of the supersampled canvas."""
        return round(value * big)

    # The tile: a rounded square with a small margin so the corners are not clipped when downsampled.
    margin = 0.03
    draw.rounded_rectangle(
        (px(margin), px(margin), px(1 - margin), px(1 - margin)), radius=px(0.2), fill=TILE
    )

    # The stopwatch: a thick ring with a crown (stem and cap) on top and a button on the upper right.
    cx, cy, radius, ring = 0.5, 0.575, 0.285, 0.055
    draw.ellipse(
        (px(cx - radius), px(cy - radius), px(cx + radius), px(cy + radius)),
        outline=WATCH,
        width=px(ring),
    )
    draw.rectangle((px(0.465), px(0.2), px(0.535), px(0.3)), fill=WATCH)
    draw.rounded_rectangle((px(0.4), px(0.135), px(0.6), px(0.215)), radius=px(0.03), fill=WATCH)
    # The side button is a short thick stroke on the 45 degree radius, drawn as a line with round ends.
    inner, outer = radius - 0.02, radius + 0.07
    diag = 0.7071
    start = (px(cx + inner * diag), px(cy - inner * diag))
    end = (px(cx + outer * diag), px(cy - outer * diag))
    button = px(0.065)
    draw.line((start, end), fill=WATCH, width=button)
    half = button // 2
    draw.ellipse((end[0] - half, end[1] - half, end[0] + half, end[1] + half), fill=WATCH)

    # The pulse: a polyline with rounded joints and round end caps.
    points = [(px(x), px(y)) for x, y in PULSE_POINTS]
    stroke = px(0.05)
    draw.line(points, fill=PULSE, width=stroke, joint="curve")
    half = stroke // 2
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - half, y - half, x + half, y + half), fill=PULSE)

    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px) into the integration's brand folder."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        path = BRAND_DIR / name
        draw_icon(size).save(path, format="PNG", optimize=True)
        print(f"wrote {path} ({size}x{size})")


if __name__ == "__main__":
    main()
