using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;

namespace Gregor.Broker.Handlers;

/// <summary>How a controller failure that is not the request's fault is answered: not active yet means retry elsewhere/later.</summary>
internal static class ControllerFailures
{
    public static bool IsControllerFailure(Exception e) =>
        e is ControllerNotActiveException or ControllerMovedException or MetadataLogFailedException or IOException or MetadataOperationTooLargeException;

    public static ErrorCode ErrorFor(Exception e) => e switch
    {
        ControllerNotActiveException => ErrorCode.NotController,
        ControllerMovedException => ErrorCode.NotController,
        // The node is stopping; another controller (or this one, restarted from its log) takes the request.
        MetadataLogFailedException => ErrorCode.NotController,
        MetadataOperationTooLargeException => ErrorCode.PolicyViolation,
        _ => ErrorCode.UnknownServerError,
    };
}
