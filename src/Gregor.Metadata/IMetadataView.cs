namespace Gregor.Metadata;

/// <summary>
/// Where the broker reads the current image and hears of each new one. The callback gets the
/// previous and the next image so a listener (the replica manager opening and deleting logs)
/// can act on the difference.
/// </summary>
public interface IMetadataView
{
    MetadataImage Current { get; }

    /// <summary>Called, in log order and never concurrently, after each new image is published.</summary>
    void Subscribe(Action<MetadataImage, MetadataImage> onPublished);
}
