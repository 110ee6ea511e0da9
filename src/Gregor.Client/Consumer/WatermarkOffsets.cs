namespace Gregor.Client;

/// <summary>A partition's low watermark (its first offset) and high watermark (the offset the next record will get).</summary>
public class WatermarkOffsets
{
    public WatermarkOffsets(Offset low, Offset high)
    {
        Low = low;
        High = high;
    }

    public Offset Low { get; }

    public Offset High { get; }

    public override string ToString() => $"{Low} .. {High}";
}
