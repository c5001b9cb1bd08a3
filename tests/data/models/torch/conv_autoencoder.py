# Source: https://github.com/udacity/deep-learning-v2-pytorch/blob/51cc7b8923794649a7be16b930fbd85c1b289cda/autoencoder/convolutional-autoencoder/Convolutional_Autoencoder_Solution.ipynb
#   (the notebook cell that defines the network)
# Licence: MIT (udacity/deep-learning-v2-pytorch, Copyright (c) 2018 Udacity)
# Copied: class ConvAutoencoder verbatim (comments included) with the cell's imports
#   `import torch.nn as nn` and `import torch.nn.functional as F`, plus `import torch` from the
#   notebook's first code cell.
# Trimmed: notebook data loading/training cells, and the cell's trailing
#   `model = ConvAutoencoder()` / `print(model)`.
# Note: one MaxPool2d module (self.pool) is called twice in forward; F.sigmoid is used.
import torch
import torch.nn as nn
import torch.nn.functional as F

# define the NN architecture
class ConvAutoencoder(nn.Module):
    def __init__(self):
        super(ConvAutoencoder, self).__init__()
        ## encoder layers ##
        # conv layer (depth from 1 --> 16), 3x3 kernels
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)  
        # conv layer (depth from 16 --> 4), 3x3 kernels
        self.conv2 = nn.Conv2d(16, 4, 3, padding=1)
        # pooling layer to reduce x-y dims by two; kernel and stride of 2
        self.pool = nn.MaxPool2d(2, 2)
        
        ## decoder layers ##
        ## a kernel of 2 and a stride of 2 will increase the spatial dims by 2
        self.t_conv1 = nn.ConvTranspose2d(4, 16, 2, stride=2)
        self.t_conv2 = nn.ConvTranspose2d(16, 1, 2, stride=2)


    def forward(self, x):
        ## encode ##
        # add hidden layers with relu activation function
        # and maxpooling after
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        # add second hidden layer
        x = F.relu(self.conv2(x))
        x = self.pool(x)  # compressed representation
        
        ## decode ##
        # add transpose conv layers, with relu activation function
        x = F.relu(self.t_conv1(x))
        # output layer (with sigmoid for scaling from 0 to 1)
        x = F.sigmoid(self.t_conv2(x))
                
        return x
