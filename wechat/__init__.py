"""The WeChat API, through wechatpy, pointed at WECHAT_API_BASE (the real one or the simulator)."""
