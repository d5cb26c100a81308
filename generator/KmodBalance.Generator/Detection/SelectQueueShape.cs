namespace KmodBalance.Generator.Detection;

/// <summary>The generations of ndo_select_queue's signature, as tun.c spells them.</summary>
public enum SelectQueueShape
{
    /// <summary>(dev, skb): Linux 3.9 to 3.12.</summary>
    DevSkb,
    /// <summary>(dev, skb, accel_priv): Linux 3.13.</summary>
    AccelPriv,
    /// <summary>(dev, skb, accel_priv, fallback): Linux 3.14 to 4.18.</summary>
    AccelPrivFallback,
    /// <summary>(dev, skb, sb_dev, fallback): Linux 4.19 to 5.1.</summary>
    SbDevFallback,
    /// <summary>(dev, skb, sb_dev): Linux 5.2 and later.</summary>
    SbDev,
}

public static class SelectQueueShapes
{
    public static string Kernels(this SelectQueueShape shape) => shape switch
    {
        SelectQueueShape.DevSkb => "3.9-3.12",
        SelectQueueShape.AccelPriv => "3.13",
        SelectQueueShape.AccelPrivFallback => "3.14-4.18",
        SelectQueueShape.SbDevFallback => "4.19-5.1",
        _ => "5.2+",
    };

    /// <summary>Classifies a parameter list by its types; null when it is none of the known ones.</summary>
    public static SelectQueueShape? Classify(IReadOnlyList<string> parameterTypes) => string.Join(",", parameterTypes) switch
    {
        "struct net_device*,struct sk_buff*" => SelectQueueShape.DevSkb,
        "struct net_device*,struct sk_buff*,void*" => SelectQueueShape.AccelPriv,
        "struct net_device*,struct sk_buff*,void*,select_queue_fallback_t" => SelectQueueShape.AccelPrivFallback,
        "struct net_device*,struct sk_buff*,struct net_device*,select_queue_fallback_t" => SelectQueueShape.SbDevFallback,
        "struct net_device*,struct sk_buff*,struct net_device*" => SelectQueueShape.SbDev,
        _ => null,
    };
}
