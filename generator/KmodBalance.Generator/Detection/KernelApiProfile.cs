namespace KmodBalance.Generator.Detection;

/// <summary>
/// Everything about the input's kernel generation that the templates need, read
/// from the input tun.c itself. Templates branch on these fields only.
/// </summary>
public sealed record KernelApiProfile(
    SelectQueueShape SelectQueue,
    string SelectQueueSignature,
    bool TimerSetup,
    string TimerContainerOf,
    string TimerDeleteSync,
    string FlowHashCall,
    bool HasSteeringProg,
    bool HasAutomqFunction,
    bool NeedsVnetHeader,
    bool UsesAccessOnce,
    bool HasSysfsEmit,
    bool HasDeviceAttributes,
    string SelectQueueArguments,
    string RpsNeededCheck,
    bool HasXdpXmit)
{
    /// <summary>DEFINE_SHOW_ATTRIBUTE arrived in 4.16; the sb_dev signature (4.19+) proves it is there.</summary>
    public bool HasShowAttribute => SelectQueue is SelectQueueShape.SbDevFallback or SelectQueueShape.SbDev;

    /// <summary>timer_shutdown_sync() arrived in 6.2; tun.c shows it only from 6.15 on, by timer_delete_sync().</summary>
    public string TimerShutdownSync => TimerDeleteSync == "timer_delete_sync" ? "timer_shutdown_sync" : TimerDeleteSync;

    /// <summary>
    /// Allocation of the per-device state, charged to the memcg: kvzalloc() and
    /// GFP_KERNEL_ACCOUNT (4.12) predate timer_setup() (4.15). A state of several pages
    /// may come from vmalloc rather than need a high-order page.
    /// </summary>
    public string StateAlloc(bool large) =>
        (large && TimerSetup ? "kvzalloc" : "kzalloc") + "(sizeof(*bal), " + (TimerSetup ? "GFP_KERNEL_ACCOUNT" : "GFP_KERNEL") + ")";

    public string StateFree(bool large) => large && TimerSetup ? "kvfree" : "kfree";

    /// <summary>One line for messages and the manifest.</summary>
    public string Summary =>
        $"ndo_select_queue {SelectQueue} (Linux {SelectQueue.Kernels()}); " +
        (TimerSetup ? $"timer_setup/{TimerContainerOf}" : "setup_timer") + $", {TimerDeleteSync}; " +
        $"flow hash {FlowHashCall}" +
        (HasSteeringProg ? "; eBPF steering" : "") +
        (NeedsVnetHeader ? "; tun_vnet.h" : "") +
        (UsesAccessOnce ? "; ACCESS_ONCE" : "") +
        (HasDeviceAttributes ? "; sysfs attributes" : "") +
        (RpsNeededCheck != "" ? "; RFS" : "") +
        (HasXdpXmit ? "; XDP xmit" : "");
}
