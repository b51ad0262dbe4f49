"""Draw the Délestage brand icon (256 and 512 px PNG): a house whose lightning bolt is cut."""

from pathlib import Path

from PIL import Image, ImageDraw


def draw(size: int) -> Image.Image:
    """Return the icon at ``size`` pixels."""
    s = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((8 * s, 8 * s, 248 * s, 248 * s), radius=48 * s, fill=(24, 58, 110, 255))
    # the grid signal bar: green, orange, red
    for i, colour in enumerate(((46, 160, 67), (240, 140, 0), (214, 40, 40))):
        x0 = (40 + i * 60) * s
        d.rounded_rectangle((x0, 200 * s, x0 + 52 * s, 222 * s), radius=8 * s, fill=colour)
    # the house
    white = (245, 247, 250, 255)
    d.polygon([(128 * s, 36 * s), (216 * s, 108 * s), (40 * s, 108 * s)], fill=white)
    d.rectangle((60 * s, 104 * s, 196 * s, 184 * s), fill=white)
    # the lightning bolt inside the house
    bolt = [(140, 72), (100, 140), (126, 140), (112, 178), (158, 118), (132, 118), (146, 72)]
    d.polygon([(x * s, y * s) for x, y in bolt], fill=(255, 196, 0, 255))
    # the cut: a red diagonal across the bolt
    d.line((88 * s, 88 * s, 170 * s, 176 * s), fill=(214, 40, 40, 255), width=int(12 * s))
    return img


if __name__ == "__main__":
    brand = Path(__file__).resolve().parent.parent / "custom_components" / "delestage" / "brand"
    brand.mkdir(parents=True, exist_ok=True)
    draw(256).save(brand / "icon.png")
    draw(512).save(brand / "icon@2x.png")
