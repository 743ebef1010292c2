using CacheSidecar.Configuration;
using MongoDB.Driver;

namespace CacheSidecar.Store;

/// <summary>
/// Opens the configured database. The store and the change feed each call this; the driver shares
/// one connection pool between clients built from equal settings.
/// </summary>
internal static class MongoDatabases
{
    public static IMongoDatabase Open(MongoOptions mongo)
    {
        var settings = MongoClientSettings.FromConnectionString(mongo.ConnectionString);
        if (!mongo.ConnectionString!.Contains("serverSelectionTimeoutMS", StringComparison.OrdinalIgnoreCase))
        {
            settings.ServerSelectionTimeout = mongo.ServerSelectionTimeout;
        }

        settings.ReadPreference =
            new ReadPreference(Enum.Parse<ReadPreferenceMode>(mongo.ReadPreference, ignoreCase: true));
        settings.WriteConcern = int.TryParse(mongo.WriteConcern, out var w)
            ? new WriteConcern(w)
            : new WriteConcern(mongo.WriteConcern);
        return new MongoClient(settings).GetDatabase(mongo.Database);
    }
}
