//! The sizes of one convolution (and of its 2×2 pooling), and the derived lengths every
//! kernel of this crate indexes with.

/// Sizes of one convolution: input `[batch, c_in, h, w]`, weight `[c_out, c_in, kh, kw]`,
/// output `[batch, c_out, h - kh + 1, w - kw + 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
}

impl ConvShape {
    pub fn out_h(&self) -> usize {
        self.h - self.kh + 1
    }
    pub fn out_w(&self) -> usize {
        self.w - self.kw + 1
    }
    /// Output positions per sample and channel.
    pub fn positions(&self) -> usize {
        self.out_h() * self.out_w()
    }
    /// Length of one patch: every input value one output position reads.
    pub fn patch(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    pub fn input_len(&self) -> usize {
        self.c_in * self.h * self.w
    }
    pub fn output_len(&self) -> usize {
        self.c_out * self.positions()
    }
    pub fn weight_len(&self) -> usize {
        self.c_out * self.patch()
    }
    /// Samples per parallel chunk: enough rows that the products are well shaped, few
    /// enough that a chunk's patches (~1 MB) stay in cache.
    pub fn chunk(&self) -> usize {
        (256 * 1024 / (self.positions() * self.patch()).max(1)).clamp(1, 64)
    }
}

impl ConvShape {
    /// Output size of the 2×2 pooling.
    pub fn pooled_h(&self) -> usize {
        self.out_h() / 2
    }
    pub fn pooled_w(&self) -> usize {
        self.out_w() / 2
    }
    pub fn pooled_len(&self) -> usize {
        self.c_out * self.pooled_h() * self.pooled_w()
    }
    /// The four output positions (within a channel's plane) that pooled value (py, px)
    /// reads, row-major: a winner is an index into this.
    pub fn window(&self, py: usize, px: usize) -> [usize; 4] {
        let (ow, top_left) = (self.out_w(), 2 * py * self.out_w() + 2 * px);
        [top_left, top_left + 1, top_left + ow, top_left + ow + 1]
    }
}
