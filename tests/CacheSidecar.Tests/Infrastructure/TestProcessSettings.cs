using System.Runtime.CompilerServices;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>Settings for the whole test process, applied before any test host starts.</summary>
internal static class TestProcessSettings
{
    /// <summary>
    /// Every in-process host watches its appsettings files. With inotify (128 instances per user)
    /// dozens of parallel hosts run out and fail to start; polling watchers need none.
    /// </summary>
    [ModuleInitializer]
    internal static void UsePollingFileWatchers() => Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "true");
}
