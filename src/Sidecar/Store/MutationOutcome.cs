namespace CacheSidecar.Store;

internal readonly record struct MutationOutcome(MutationStatus Status, string? Error)
{
    public static readonly MutationOutcome Applied = new(MutationStatus.Applied, null);
    public static readonly MutationOutcome AlreadyNewer = new(MutationStatus.AlreadyNewer, null);

    public static MutationOutcome Rejected(string error) => new(MutationStatus.Rejected, error);
}
