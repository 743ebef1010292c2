namespace CacheSidecar.Configuration;

/// <summary>How a namespace stores its keys as MongoDB <c>_id</c> values.</summary>
public enum IdType
{
#pragma warning disable CA1720 // "String" is the configuration value operators write.
    String,
#pragma warning restore CA1720
    ObjectId,
}
