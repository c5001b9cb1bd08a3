# Vision Transformer, written for the convarith corpus from the paper's description:
# A. Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image
# Recognition at Scale", ICLR 2021, arXiv:2010.11929 (Sec. 3.1, Eq. 1-4, Table 1).
#
# The image is cut into P x P patches by a convolution with kernel = stride = P, the
# patches become a token sequence, a learnable [class] token is prepended (torch.cat) and
# learnable 1-D position embeddings are added (both loose nn.Parameters of the model).
# Each encoder block is pre-norm: x + MSA(LN(x)), then x + MLP(LN(x)), the MLP being two
# Linear layers with GELU between. The head reads the class token after a final LayerNorm.
# ViT-B/16: D = 768, 12 layers, 12 heads, MLP 3072, 86,567,656 parameters with a
# 1000-class head. `attention="torch"` uses nn.MultiheadAttention, `attention="matmul"`
# a hand-written attention of torch.matmul and softmax with the same parameters.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    """Multi-head self-attention written out: one Linear gives q, k, v, one projects back."""

    def __init__(self, dim, heads, dropout=0.0):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(dropout)

    def forward(self, x):
        n, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(n, tokens, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        weights = self.attn_drop(F.softmax(scores, dim=-1))
        out = torch.matmul(weights, v).transpose(1, 2).reshape(n, tokens, dim)
        return self.proj(out)


class EncoderBlock(nn.Module):
    def __init__(self, dim, heads, mlp_dim, dropout=0.0, attention="torch"):
        super().__init__()
        self.attention = attention
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        if attention == "torch":
            self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        else:
            self.attn = SelfAttention(dim, heads, dropout)
        self.drop = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        y = self.norm1(x)
        if self.attention == "torch":
            y, _ = self.attn(y, y, y, need_weights=False)
        else:
            y = self.attn(y)
        x = x + self.drop(y)
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(
        self,
        image_size=224,
        patch_size=16,
        depth=12,
        dim=768,
        heads=12,
        mlp_dim=3072,
        num_classes=1000,
        in_channels=3,
        dropout=0.0,
        attention="torch",
    ):
        super().__init__()
        self.patch_size = patch_size
        self.dim = dim
        self.patch_embed = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)
        num_patches = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.empty(1, num_patches + 1, dim).normal_(std=0.02))
        self.pos_drop = nn.Dropout(dropout)
        self.blocks = nn.Sequential(
            *[EncoderBlock(dim, heads, mlp_dim, dropout, attention) for _ in range(depth)]
        )
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        n = x.shape[0]
        x = self.patch_embed(x)  # N, D, H/P, W/P
        x = x.flatten(2).transpose(1, 2)  # N, tokens, D
        cls = self.class_token.expand(n, -1, -1)
        x = torch.cat([cls, x], dim=1)
        x = self.pos_drop(x + self.pos_embedding)
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])
