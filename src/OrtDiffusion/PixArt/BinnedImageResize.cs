using OrtDiffusion.Tensors;

namespace OrtDiffusion.PixArt;

/// <summary>
/// Brings an image generated at a resolution bucket back to the requested size, as diffusers'
/// <c>resize_and_crop_tensor</c>: scale by the larger of the two ratios so the image covers the target, bilinear
/// (<c>F.interpolate(mode="bilinear", align_corners=False)</c>, no antialiasing), then a centre crop.
/// </summary>
public static class BinnedImageResize
{
    /// <summary>
    /// The size the image is scaled to before the crop: <c>int(side · max(H'/H, W'/W))</c> per side. Where floating
    /// point would leave a side one pixel short of the target, the target is used (diffusers would crop out of range there).
    /// </summary>
    public static (int Height, int Width) ScaledSize(int height, int width, int targetHeight, int targetWidth)
    {
        var ratio = Math.Max((double)targetHeight / height, (double)targetWidth / width);
        return (Math.Max((int)(height * ratio), targetHeight), Math.Max((int)(width * ratio), targetWidth));
    }

    /// <summary>Resizes and centre-crops images <c>[batch, channels, H, W]</c> to <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <returns>The same tensor when the size already matches, else a new one.</returns>
    public static FloatTensor ResizeAndCrop(FloatTensor images, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (images.Shape.Length != 4)
        {
            throw new ArgumentException($"Images are [batch, channels, height, width]; got {FloatTensor.ShapeText(images.Shape)}.", nameof(images));
        }

        var (planes, inH, inW) = ((int)(images.Shape[0] * images.Shape[1]), (int)images.Shape[2], (int)images.Shape[3]);
        if (inH == height && inW == width)
        {
            return images;
        }

        var (scaledH, scaledW) = ScaledSize(inH, inW, height, width);
        var rows = Taps(inH, scaledH, (scaledH - height) / 2, height);
        var columns = Taps(inW, scaledW, (scaledW - width) / 2, width);
        var output = new float[planes * height * width];
        for (var p = 0; p < planes; p++)
        {
            var source = images.Data.AsSpan(p * inH * inW, inH * inW);
            var target = output.AsSpan(p * height * width, height * width);
            for (var y = 0; y < height; y++)
            {
                var r = rows[y];
                var top = source.Slice(r.Index0 * inW, inW);
                var bottom = source.Slice(r.Index1 * inW, inW);
                for (var x = 0; x < width; x++)
                {
                    var c = columns[x];
                    // torch's order: along the width within each row, then the two rows.
                    var upper = (c.Weight0 * top[c.Index0]) + (c.Weight1 * top[c.Index1]);
                    var lower = (c.Weight0 * bottom[c.Index0]) + (c.Weight1 * bottom[c.Index1]);
                    target[(y * width) + x] = (r.Weight0 * upper) + (r.Weight1 * lower);
                }
            }
        }

        return new FloatTensor(output, images.Shape[0], images.Shape[1], height, width);
    }

    // Source taps of the kept output positions start … start + count − 1 of a resize from inSize to outSize: half-pixel
    // centres, source clamped at 0, the second tap clamped at the last index; computed in float as torch's CPU kernel.
    private static Tap[] Taps(int inSize, int outSize, int start, int count)
    {
        var scale = (float)inSize / outSize;
        var taps = new Tap[count];
        for (var i = 0; i < count; i++)
        {
            var source = Math.Max((scale * (start + i + 0.5f)) - 0.5f, 0f);
            var index0 = Math.Min((int)source, inSize - 1);
            var lambda = Math.Clamp(source - index0, 0f, 1f);
            taps[i] = new Tap(index0, index0 < inSize - 1 ? index0 + 1 : index0, 1f - lambda, lambda);
        }

        return taps;
    }

    private readonly record struct Tap(int Index0, int Index1, float Weight0, float Weight1);
}
